from typing import Any

from actors._core import Pid

async def ask_async(dest: Pid | str, msg: object,
                    timeout: float | None = 5.0) -> Any: ...

from actors._core import Timeout as Timeout
