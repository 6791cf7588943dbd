"""The runtime of the app serving a request, as a FastAPI dependency."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from tetherai.services.runtime import Runtime

__all__ = ["Rt", "runtime"]


async def runtime(request: Request) -> Runtime:
    # async: a plain attribute read must not cost a trip through the thread pool
    found: Runtime = request.app.state.runtime
    return found


Rt = Annotated[Runtime, Depends(runtime)]
