"""HTTP client for CLI commands that talk to a running studio (MOTEFORGE_URL/MOTEFORGE_API_KEY or `login`)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import httpx
import typer

CONFIG = Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config")) / "moteforge" / "config.json"


def load_config() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(CONFIG.read_text()) if CONFIG.exists() else {}
    if url := os.environ.get("MOTEFORGE_URL"):
        data["url"] = url
    if key := os.environ.get("MOTEFORGE_API_KEY"):
        data["api_key"] = key
    data.setdefault("url", "http://127.0.0.1:8000")
    return data


def save_config(url: str, api_key: str) -> Path:
    CONFIG.parent.mkdir(parents=True, exist_ok=True)
    tmp = CONFIG.with_suffix(".tmp")
    tmp.write_text(json.dumps({"url": url, "api_key": api_key}, indent=2))
    tmp.chmod(0o600)
    tmp.replace(CONFIG)
    return CONFIG


def fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


class Client:
    def __init__(self) -> None:
        cfg = load_config()
        if not cfg.get("api_key"):
            raise fail("no API key: run `moteforge login --key KEY` or set MOTEFORGE_API_KEY")
        self.url = cfg["url"].rstrip("/")
        self.http = httpx.Client(base_url=self.url, headers={"x-api-key": cfg["api_key"]}, timeout=60)

    def request(self, method: str, path: str, **kw: Any) -> Any:
        try:
            resp = self.http.request(method, path, **kw)
        except httpx.HTTPError as exc:
            raise fail(f"cannot reach {self.url}: {exc}") from exc
        if resp.status_code >= 400:
            try:
                message = resp.json()["error"]["message"]
            except Exception:
                message = resp.text[:200]
            raise fail(f"{resp.status_code} {message}")
        return resp.json() if resp.content and "json" in resp.headers.get("content-type", "") else resp

    def get(self, path: str, **kw: Any) -> Any:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> Any:
        return self.request("POST", path, **kw)

    def project_id(self, project: str | None) -> int:
        """Resolve --project (id or name); with a project key the key's project is the default."""
        projects = self.get("/api/projects")["data"]
        if project is None:
            if len(projects) == 1:
                return projects[0]["id"]
            raise fail("several projects are visible: pass --project")
        for p in projects:
            if str(p["id"]) == project or p["name"] == project:
                return p["id"]
        raise fail(f"no project {project!r} visible with this key")
