"""POST /admin/reindex: the publishing pipeline's webhook, an incremental (or full) reindex
of the content folder, or of the paths the JSON body lists.

Behind the admin gate (searchsvc.admin.auth) like every /admin/ URL.
"""

from __future__ import annotations

import json
import logging
from pathlib import PureWindowsPath
from typing import Any

from flask import Blueprint, current_app, request

from searchsvc.admin import schemas
from searchsvc.admin.auth import PREFIX
from searchsvc.errors import BadParameter, SearchsvcError
from searchsvc.web.service import service
from searchsvc.web.spec import BOOLEAN, Body, Operation, Reply, array, describe, nullable, obj

MAX_PATHS = 10_000

PATH = {
    "type": "string",
    "minLength": 1,
    "description": "relative to the content folder: not blank, no NUL, no leading / or \\, "
    "no drive, no .. part",
}
PATHS = array(PATH, maxItems=MAX_PATHS)
BODY = Body(
    "Optional. A list of paths to look at (files gone are deleted), or "
    '{"paths": [...]} or {"full": true}; without a body (or with "paths": null), the whole '
    "folder, incrementally.",
    {
        "anyOf": [
            PATHS,
            obj(optional={"paths": nullable(PATHS), "full": BOOLEAN}, additionalProperties=False),
        ]
    },
    required=False,
)

bp = Blueprint("admin", __name__, url_prefix=PREFIX)
log = logging.getLogger("searchsvc")


def _shown(value: object, limit: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _check_path(index: int, path: object) -> str:
    where = f"paths[{index}]"
    if not isinstance(path, str):
        raise BadParameter(f"{where} must be a string, not {type(path).__name__}")
    if not path.strip():
        raise BadParameter(f"{where} is empty")
    if "\x00" in path:
        raise BadParameter(f"{where} contains a NUL character")
    if path.startswith(("/", "\\")) or PureWindowsPath(path).drive:
        raise BadParameter(f"{where} must be relative to the content folder, not {_shown(path)}")
    if ".." in path.replace("\\", "/").split("/"):
        raise BadParameter(f"{where} must not contain a '..' component: {_shown(path)}")
    return path


def _check_paths(paths: object) -> list[str]:
    if not isinstance(paths, list):
        raise BadParameter(f"paths must be a list of strings, not {type(paths).__name__}")
    if len(paths) > MAX_PATHS:
        raise BadParameter(
            f"at most {MAX_PATHS} paths per request, got {len(paths)}; "
            "send several requests or omit paths to check the whole folder"
        )
    checked = [_check_path(i, p) for i, p in enumerate(paths)]
    return list(dict.fromkeys(checked))  # duplicates are harmless; drop them


def reindex_options() -> tuple[list[str] | None, bool]:
    """(paths or None for the whole folder, full) from the optional JSON body."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return None, False
    if not request.is_json:
        raise BadParameter(
            "the body must be JSON (Content-Type: application/json): a list of paths "
            'or {"paths": [...], "full": false}'
        )
    try:
        body: Any = json.loads(raw)
    except ValueError as exc:  # also UnicodeDecodeError
        raise BadParameter(f"the body is not valid JSON: {exc}") from None
    if isinstance(body, list):
        return _check_paths(body), False
    if not isinstance(body, dict):
        raise BadParameter(
            'the body must be a list of paths or an object {"paths": [...], "full": false}, '
            f"not {type(body).__name__}"
        )
    unknown = sorted(set(body) - {"paths", "full"})
    if unknown:
        raise BadParameter(f"unknown field(s) {', '.join(map(repr, unknown))}; use paths, full")
    full = body.get("full", False)
    if not isinstance(full, bool):
        raise BadParameter(f"full must be true or false, not {_shown(full)}")
    paths = body.get("paths")
    if paths is None:
        return None, full
    if full:
        raise BadParameter(
            "full rebuilds every file, so it cannot be limited to paths; send one or the other"
        )
    return _check_paths(paths), False


@bp.post("/reindex")
@describe(
    Operation(
        "Reindex the content folder",
        Reply("The run's report.", schemas.REPORT, name="ReindexReport"),
        method="POST",
        description="The publishing pipeline's webhook: an incremental run over the folder "
        "or the listed paths, or a full rebuild, in one index commit. 409 while another "
        "reindex holds the writer lock (it is waited for 2 s).",
        body=BODY,
        errors=(409,),
        admin=True,
        tag="admin",
    )
)
def reindex() -> dict[str, Any]:
    from searchsvc.indexing.build import build_index  # the indexer is only needed here
    from searchsvc.indexing.report import format_report

    paths, full = reindex_options()
    config = current_app.config
    try:
        report = build_index(
            config["CONTENT_DIR"],
            config["INDEX_DIR"],
            companies_file=config["COMPANIES_FILE"],
            paths=paths,
            full=full,
        )
    except (FileNotFoundError, NotADirectoryError) as exc:  # the content folder itself
        raise SearchsvcError(f"cannot reindex: {exc}") from exc
    # this worker's next search sees the new generation now, not at its next check
    service().handle.invalidate()
    data = report.to_json()
    log.info(
        "admin reindex (%s): %s",
        "full" if data["full"] else f"{len(paths)} paths" if paths is not None else "incremental",
        format_report(report),
    )
    return data
