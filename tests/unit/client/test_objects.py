"""Which S3 credentials the client uses, what counts as a URI, and default artifact names."""

from __future__ import annotations

import pytest

from tetherai.client import ConfigError
from tetherai.client.objects import S3Access, S3Buckets, check_uri, is_uri, local_path, uri_label
from tetherai.storage.errors import UnsupportedURI


def test_tether_variables_win_over_aws_ones_as_a_pair() -> None:
    env = {
        "TETHER_S3_ACCESS_KEY_ID": "tid",
        "TETHER_S3_SECRET_ACCESS_KEY": "tsecret",
        "AWS_ACCESS_KEY_ID": "aid",
        "AWS_SECRET_ACCESS_KEY": "asecret",
        "AWS_ENDPOINT_URL": "http://aws.example",
        "AWS_DEFAULT_REGION": "eu-west-3",
    }
    assert S3Access.from_env(env) == S3Access("tid", "tsecret", "http://aws.example", "eu-west-3")
    env |= {"TETHER_S3_ENDPOINT": "http://s3.local:8333", "TETHER_S3_REGION": "us-west-2"}
    assert S3Access.from_env(env) == S3Access("tid", "tsecret", "http://s3.local:8333", "us-west-2")
    aws = {k: v for k, v in env.items() if k.startswith("AWS_")}
    assert S3Access.from_env(aws) == S3Access("aid", "asecret", "http://aws.example", "eu-west-3")
    assert S3Access.from_env({"AWS_REGION": "eu-west-1"}) is None
    assert "tsecret" not in repr(S3Access.from_env(env))


def test_half_a_key_is_a_config_error_raised_only_when_s3_is_used() -> None:
    with pytest.raises(ConfigError, match="TETHER_S3_SECRET_ACCESS_KEY is not set"):
        S3Access.from_env({"TETHER_S3_ACCESS_KEY_ID": "tid"})
    with pytest.raises(ConfigError, match="AWS_ACCESS_KEY_ID is not set"):
        S3Access.from_env({"AWS_SECRET_ACCESS_KEY": "asecret"})
    buckets = S3Buckets(lambda: S3Access.from_env({"AWS_ACCESS_KEY_ID": "aid"}))
    assert buckets.handles("s3://b/k") and not buckets.handles("tether-obj:sha256/" + "a" * 64)
    with pytest.raises(ConfigError):
        buckets.open("s3://bucket/key")
    with pytest.raises(ConfigError, match="no S3 credentials to read s3://bucket/key"):
        S3Buckets(None).size("s3://bucket/key")


def test_uris_paths_and_default_names() -> None:
    digest = "ab" * 32
    assert is_uri("s3://bucket/key") and is_uri(f"tether-obj:sha256/{digest}")
    assert is_uri("gs://bucket/key") and not is_uri("out/model:v1.bin")
    assert check_uri(f"tether-obj:sha256/{digest}") == "tether-obj"
    for bad in ("gs://bucket/key", "s3://B/key", "s3://bucket/../key", "tether-obj:sha256/ab"):
        with pytest.raises(UnsupportedURI):
            check_uri(bad)
    assert str(local_path("file:///data/train%20set.csv")) == "/data/train set.csv"
    assert local_path("s3://bucket/key") is None
    assert uri_label("model", "s3://bucket/models/v3/model.bin") == "model.bin"
    assert uri_label("train_dataset", "s3://bucket/data/train/") == "train"
    assert uri_label("log", f"tether-obj:sha256/{digest}") == f"log-{digest[:12]}"
