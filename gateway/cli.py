"""The `gateway` command line: serve, sandbox, check-config, print-schema."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import gc
import logging
import os
import signal
import socket
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
import uvicorn
from pydantic import SecretStr

from gateway.errors import ConfigError
from gateway.ops.logs import configure_logging
from gateway.settings import Settings

if TYPE_CHECKING:
    from sandbox.config import SandboxConfig

log = logging.getLogger("gateway.cli")

_Config = TypeVar("_Config")

cli = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="A GraphQL gateway over Codat's Sync for Payables API.",
)

SANDBOX_KEY = "sandbox"

HostOption = Annotated[str | None, typer.Option(help="Interface to bind (default GATEWAY_HOST).")]
PortOption = Annotated[int | None, typer.Option(help="Port to bind (default GATEWAY_PORT).")]


def _from_env(read: Callable[[Mapping[str, str]], _Config], refused: type[Exception]) -> _Config:
    """What `read` makes of the environment; a bad variable is one line on stderr, exit code 2."""
    try:
        return read(os.environ)
    except refused as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from exc


def _load_settings() -> Settings:
    return _from_env(Settings.from_env, ConfigError)


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signal handling to the supervisor running several of them,
    serving on a socket bound before any server starts (`_bind`)."""

    bound: socket.socket | None = None

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def serve(self, sockets: list[socket.socket] | None = None) -> None:
        if sockets is None and self.bound is not None:
            sockets = [self.bound]
        await super().serve(sockets=sockets)


def _bind(host: str, port: int, setting: str) -> socket.socket:
    """A listening socket on host:port, or one line naming `setting` and exit 2 (no server
    has started yet, so nothing else is printed)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        typer.echo(f"error: {setting}: cannot listen on {host}:{port}: {exc.strerror}", err=True)
        raise typer.Exit(code=2) from None
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        why = (
            "is already in use"
            if exc.errno == errno.EADDRINUSE
            else f"cannot be used ({exc.strerror})"
        )
        typer.echo(
            f"error: {setting}={port}: port {port} on {host} {why}; "
            f"stop what holds it or set {setting} to a free port",
            err=True,
        )
        raise typer.Exit(code=2) from None
    sock.set_inheritable(True)
    return sock


async def _serve_all(servers: list[_Server]) -> None:
    """Serve until SIGINT/SIGTERM, then drain the last server (the gateway) first: its requests
    in flight finish against the embedded sandbox, which stops once the gateway has."""
    loop = asyncio.get_running_loop()
    *helpers, main = servers

    def stop() -> None:
        if main.should_exit:  # a second signal: stop waiting for requests in flight
            main.force_exit = True
        main.should_exit = True

    async def serve_main() -> None:
        try:
            await main.serve()
        finally:
            for helper in helpers:
                helper.should_exit = True

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop)
    try:
        await asyncio.gather(*(helper.serve() for helper in helpers), serve_main())
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


def _uvicorn_config(app: object, host: str, port: int) -> uvicorn.Config:
    return uvicorn.Config(
        app,  # type: ignore[arg-type]
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        ws="websockets-sansio",
        # No permessage-deflate: it compresses every message again for every subscriber (each
        # connection has its own compressor), about a quarter of the CPU of a fan-out of one
        # update to 1,000 subscribers (bench/results/subscriptions.md); the messages are small.
        ws_per_message_deflate=False,
        timeout_graceful_shutdown=10,
    )


@cli.command()
def serve(host: HostOption = None, port: PortOption = None) -> None:
    """Serve the GraphQL gateway (with no CODAT_API_KEY, against the built-in sandbox)."""
    from gateway.app import create_app
    from sandbox.app import create_app as create_sandbox_app

    settings = _load_settings()
    port_setting = "--port" if port else "GATEWAY_PORT"
    settings = settings.model_copy(
        update={"host": host or settings.host, "port": port or settings.port}
    )
    servers: list[_Server] = []
    sandbox_socket = None
    if settings.uses_sandbox:
        sandbox_config = _sandbox_config()
        sandbox_socket = _bind("127.0.0.1", settings.sandbox_port, "SANDBOX_PORT")
    gateway_socket = _bind(settings.host, settings.port, port_setting)
    configure_logging(settings.log_level, settings.log_format)
    if sandbox_socket is not None:
        # The embedded sandbox is only ever reachable from this machine, whatever the gateway binds.
        sandbox_url = f"http://127.0.0.1:{settings.sandbox_port}"
        sandbox_config = replace(
            sandbox_config,
            api_key=SANDBOX_KEY,
            webhook_targets=(f"http://127.0.0.1:{settings.port}/webhooks/codat",),
        )
        log.warning(
            "CODAT_API_KEY is not set: serving against the built-in Codat sandbox at %s "
            "(seeded demo data, not a real Codat). Set CODAT_API_KEY to use %s.",
            sandbox_url,
            settings.codat_base_url,
        )
        settings = settings.pointed_at(sandbox_url, SANDBOX_KEY)
        # Webhooks work out of the box: the sandbox signs with the secret the gateway verifies.
        if settings.webhook_secret is not None:
            sandbox_config = replace(
                sandbox_config, webhook_secret=settings.webhook_secret.get_secret_value()
            )
        else:
            settings = settings.model_copy(
                update={"webhook_secret": SecretStr(sandbox_config.webhook_secret)}
            )
        sandbox_server = _Server(
            _uvicorn_config(create_sandbox_app(sandbox_config), "127.0.0.1", settings.sandbox_port)
        )
        sandbox_server.bound = sandbox_socket
        servers.append(sandbox_server)
    log.info(
        "GraphQL gateway on http://%s:%d/graphql, Codat at %s",
        settings.host,
        settings.port,
        settings.codat_base_url,
    )
    gateway_server = _Server(_uvicorn_config(create_app(settings), settings.host, settings.port))
    gateway_server.bound = gateway_socket
    servers.append(gateway_server)
    # What is built by now (modules, the schema, the services) lives as long as the process:
    # frozen, the cyclic collector's full collections walk only what was made since (records,
    # their GraphQL objects), not ~200k objects that can never be garbage (bench/results).
    gc.collect()
    gc.freeze()
    asyncio.run(_serve_all(servers))


def _sandbox_config() -> SandboxConfig:
    from sandbox.config import SandboxConfig

    return _from_env(SandboxConfig.from_env, ValueError)


@cli.command()
def sandbox(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to bind.")] = 8001,
    api_key: Annotated[
        str | None, typer.Option(help="Accept only this Codat API key (default: any Basic key).")
    ] = None,
) -> None:
    """Serve the local Codat sandbox alone."""
    from sandbox.app import create_app as create_sandbox_app

    settings = _load_settings()
    configure_logging(settings.log_level, settings.log_format)
    config = _sandbox_config()
    if api_key is not None:
        config = replace(config, api_key=api_key)
    log.info("Codat sandbox on http://%s:%d", host, port)
    asyncio.run(_serve_all([_Server(_uvicorn_config(create_sandbox_app(config), host, port))]))


@cli.command("check-config")
def check_config() -> None:
    """Read the settings from the environment, report the first problem, or print them masked.

    Fails (exit 2, one line) for every set-up `serve` would refuse, and for one that lets no
    client in (authentication on with no client keys or JWT settings)."""
    from gateway.app import authenticator

    settings = _load_settings()
    if settings.uses_sandbox:
        _sandbox_config()
    if settings.auth and not authenticator(settings).configured:
        typer.echo(
            "error: GATEWAY_AUTH=on but no client can authenticate: set GATEWAY_API_KEYS or "
            "GATEWAY_JWT_SECRET/GATEWAY_JWKS (or GATEWAY_AUTH=off for local development)",
            err=True,
        )
        raise typer.Exit(code=2)
    width = max(len(name) for name in settings.describe())
    for name, value in settings.describe().items():
        typer.echo(f"{name.ljust(width)}  {value}")
    target = "the built-in sandbox" if settings.uses_sandbox else settings.codat_base_url
    typer.echo(f"\nok: the gateway would serve against {target}")


@cli.command("print-schema")
def print_schema(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the SDL here (default: stdout).")
    ] = None,
) -> None:
    """Print the GraphQL schema (SDL) that frontend teams run codegen against."""
    from schema import build_schema

    sdl = build_schema().as_str() + "\n"
    if output is None:
        typer.echo(sdl, nl=False)
    else:
        output.write_text(sdl, encoding="utf-8")


def main() -> None:
    cli()
