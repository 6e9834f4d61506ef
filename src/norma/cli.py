"""The `norma` command: demo, migrate, serve, worker, seed, verify, tokens and more."""

import argparse
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

DEMO_MARKER = ".norma-demo"


def _django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "norma.settings")
    import django

    django.setup()


def _call(*args):
    from django.core.management import call_command

    call_command(*args)


def cmd_migrate(args):
    _django()
    _call("migrate", "--no-input", *(["-v", "0"] if args.quiet else []))


def cmd_createadmin(args):
    _django()
    _call("createadmin", "--email", args.email, "--password", args.password, "--name", args.name)


def cmd_token(args):
    _django()
    extra = ["--name", args.name]
    if args.expires_days is not None:
        extra += ["--expires-days", str(args.expires_days)]
    _call("token", args.action, "--user", args.user, *extra)


def cmd_verify(args):
    _django()
    from norma.core.management.commands.verify import run_verify

    sys.exit(run_verify(sys.stdout))


def cmd_seed(args):
    _django()
    _call("seed", "--scale", args.scale, "--seed", str(args.seed))


def cmd_worker(args):
    _django()
    _call("worker", "--interval", str(args.interval), *(["--once"] if args.once else []))


def _run_command(name: str, *args):
    """Run a management command; its CommandError becomes a clear message and exit 1."""
    _django()
    from django.core.management.base import CommandError

    try:
        _call(name, *args)
    except CommandError as error:
        sys.exit(f"norma: {error}")


def cmd_manage(args):
    _django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["norma manage", *args.rest])


def _gunicorn(host: str, port: int, workers: int, *, replace: bool = False):
    """Serve with gunicorn. `replace` makes this process gunicorn itself, so a supervisor's
    stop signal reaches the server; otherwise a stop signal to this process stops it too."""
    _call("collectstatic", "--no-input", "-v", "0")
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "norma.wsgi:application",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--access-logfile",
        "-",
        "--forwarded-allow-ips",
        "127.0.0.1",
    ]
    if replace:
        os.execv(sys.executable, command)  # noqa: S606  (our interpreter and arguments)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    server = subprocess.Popen(command)
    try:
        return server.wait()
    finally:
        if server.poll() is None:
            server.terminate()
            server.wait(timeout=30)


def cmd_serve(args):
    os.environ.setdefault("NORMA_DEBUG", "false")
    _django()
    _gunicorn(args.host, args.port, args.workers, replace=True)


def cmd_demo(args):
    data_dir = Path(os.environ.get("NORMA_DATA_DIR") or Path.cwd() / "var" / "demo").resolve()
    if data_dir.exists() and any(data_dir.iterdir()):
        if not (data_dir / DEMO_MARKER).exists():
            sys.exit(f"{data_dir} holds data that is not a Norma demo; refusing to replace it.")
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    (data_dir / DEMO_MARKER).write_text("This folder is recreated by `norma demo`.\n")
    os.environ["NORMA_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("NORMA_DEBUG", "false")
    # The demo is served over plain HTTP on this machine only, so HTTPS-only cookies are off.
    os.environ.setdefault("NORMA_HTTPS", "false")
    _django()
    _call("migrate", "--no-input", "-v", "0")
    _call("demo_data")
    # A background worker beside the server, so imports, reminders and digests run in the demo;
    # its first pass sends today's reminders.
    worker = subprocess.Popen([sys.executable, "-m", "norma.cli", "worker"])
    print(f"\nData directory: {data_dir}")
    print(f"Norma is starting on http://127.0.0.1:{args.port}/  (Ctrl+C stops it)\n", flush=True)
    try:
        code = _gunicorn("127.0.0.1", args.port, args.workers)
    finally:
        worker.terminate()
        worker.wait(timeout=10)
    sys.exit(code)


# `norma NAME PATH` → management command: the data commands of the dataio app.
DATA_COMMANDS = [
    ("export", "export_qms", "the whole QMS as a documented archive"),
    ("import", "import_qms", "load an exported archive into an empty instance"),
    ("backup", "backup", "consistent snapshot of database and files"),
    ("restore", "restore", "verify a backup, then restore it"),
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="norma", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser("demo", help="fresh demo organisation, served on 127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--workers", type=int, default=2)
    demo.set_defaults(run=cmd_demo)

    migrate = commands.add_parser("migrate", help="create or update the database and standards")
    migrate.add_argument("--quiet", action="store_true")
    migrate.set_defaults(run=cmd_migrate)

    admin = commands.add_parser("createadmin", help="create a quality-manager administrator")
    admin.add_argument("--email", required=True)
    admin.add_argument("--password", required=True)
    admin.add_argument("--name", default="Administrator")
    admin.set_defaults(run=cmd_createadmin)

    token = commands.add_parser("token", help="API tokens: create, list, revoke")
    token.add_argument("action", choices=["create", "list", "revoke"])
    token.add_argument("--user", required=True, help="the person's email")
    token.add_argument("--name", default="API token")
    token.add_argument("--expires-days", type=int)
    token.set_defaults(run=cmd_token)

    serve = commands.add_parser("serve", help="production server (gunicorn + whitenoise)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=2)
    serve.set_defaults(run=cmd_serve)

    worker = commands.add_parser("worker", help="run background tasks and periodic jobs")
    worker.add_argument("--interval", type=float, default=1.0, help="seconds between polls")
    worker.add_argument("--once", action="store_true", help="run what is due, then exit")
    worker.set_defaults(run=cmd_worker)

    seed = commands.add_parser("seed", help="synthetic data for benchmarks")
    seed.add_argument("--scale", choices=["small", "medium", "large"], default="small")
    seed.add_argument("--seed", type=int, default=1)
    seed.set_defaults(run=cmd_seed)

    for name, command, text in DATA_COMMANDS:
        data = commands.add_parser(name, help=text)
        data.add_argument("path")
        data.set_defaults(run=lambda a, command=command: _run_command(command, a.path))

    verify = commands.add_parser("verify", help="check the change log's hash chain")
    verify.set_defaults(run=cmd_verify)

    manage = commands.add_parser("manage", help="any Django management command")
    manage.add_argument("rest", nargs=argparse.REMAINDER)
    manage.set_defaults(run=cmd_manage)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    args.run(args)


if __name__ == "__main__":
    main()
