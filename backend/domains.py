"""The product domains (data, impulses, training, deploy) register themselves here, one list per kind.

Each list is edited by adding one line per module; the foundation imports them in order.
"""

# Modules whose SQLAlchemy models belong in the metadata (Alembic, tests).
MODEL_MODULES: list[str] = [
    "backend.data.models",
    "backend.training.models",
    "backend.impulses.models",
    "backend.deploy.models",
]

# Modules with an APIRouter named `router` (JSON routes and pages).
DOMAIN_ROUTERS: list[str] = [
    "backend.data.routes",
    "backend.data.ingestion",
    "backend.data.views",
    "backend.training.routes",
    "backend.training.views",
    "backend.impulses.routes",
    "backend.impulses.views",
    "backend.deploy.routes",
    "backend.deploy.views",
]

# Modules with @job_handler registrations.
JOB_MODULES: list[str] = [
    "backend.data.tasks",
    "backend.training.tasks",
    "backend.impulses.tasks",
    "backend.deploy.tasks",
]

# Modules that add commands to the `moteforge` CLI (they import backend.cli.main.app).
CLI_MODULES: list[str] = [
    "backend.data.cli",
    "backend.training.cli",
    "backend.impulses.cli",
    "backend.deploy.cli",
]

# Modules that register demo seeders (append to backend.demo.DEMO_SEEDERS on import).
DEMO_MODULES: list[str] = [
    "backend.data.demo",
]
