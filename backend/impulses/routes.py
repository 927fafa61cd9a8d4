"""JSON API for impulses: the current design and its versions, a suggestion, feature generation, the
feature explorer and the block catalogue."""

from __future__ import annotations

from fastapi import APIRouter, Query

from backend.core.deps import AuthedPrincipal, CanRead, CanWrite, SessionDep
from backend.core.errors import NotFound
from backend.impulses import design, service
from backend.impulses.schemas import BlockCatalogue, ExplorerRead, ImpulseCreate, ImpulseRead
from backend.jobs.schemas import JobRead
from backend.projects.schemas import ListOf

router = APIRouter(tags=["impulses"])
BASE = "/api/projects/{project_id}/impulse"


@router.get(BASE, response_model=ImpulseRead, responses={404: {"description": "No impulse yet"}})
def get_current(ctx: CanRead, session: SessionDep) -> ImpulseRead:
    return ImpulseRead.model_validate(service.get_current_or_raise(session, ctx))


@router.put(BASE, response_model=ImpulseRead, responses={422: {"description": "Invalid design"}})
def save(body: ImpulseCreate, ctx: CanWrite, session: SessionDep) -> ImpulseRead:
    return ImpulseRead.model_validate(service.save(session, ctx, body))


@router.get(f"{BASE}/versions", response_model=ListOf[ImpulseRead])
def list_versions(
    ctx: CanRead,
    session: SessionDep,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> ListOf[ImpulseRead]:
    rows, count = service.list_versions(session, ctx, limit=limit, offset=offset)
    return ListOf(data=[ImpulseRead.model_validate(r) for r in rows], count=count)


@router.get(f"{BASE}/versions/{{impulse_id}}", response_model=ImpulseRead)
def get_version(impulse_id: int, ctx: CanRead, session: SessionDep) -> ImpulseRead:
    return ImpulseRead.model_validate(service.get_or_raise(session, ctx, impulse_id))


@router.get(
    f"{BASE}/suggestion", response_model=ImpulseCreate, responses={422: {"description": "No data yet"}}
)
def suggestion(ctx: CanRead, session: SessionDep) -> ImpulseCreate:
    return service.suggest(session, ctx)


@router.post(
    f"{BASE}/generate-features",
    response_model=JobRead,
    status_code=202,
    responses={404: {"description": "No impulse yet"}, 422: {"description": "Data does not fit"}},
)
def generate_features(ctx: CanWrite, session: SessionDep) -> JobRead:
    return JobRead.model_validate(service.start_feature_generation(session, ctx))


@router.get(
    f"{BASE}/explorer", response_model=ExplorerRead, responses={404: {"description": "Not generated"}}
)
def explorer(ctx: CanRead, session: SessionDep) -> ExplorerRead:
    found = service.get_explorer(session, ctx)
    if found is None:
        raise NotFound("No features generated for the current impulse yet.")
    return ExplorerRead.model_validate(
        {
            "impulse_id": found.impulse_id,
            "method": found.method,
            "total_points": found.total_points,
            "created_at": found.created_at,
            "points": found.points,
        }
    )


@router.get("/api/blocks", response_model=BlockCatalogue)
def blocks(principal: AuthedPrincipal) -> BlockCatalogue:
    return BlockCatalogue.model_validate(design.catalogue())
