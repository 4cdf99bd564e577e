"""Questionnaires (API.md "Questionnaires"): thin routes over ``service`` and ``results``."""

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status
from fastapi.responses import JSONResponse, StreamingResponse

from app.auth.deps import AUTHENTICATED, CurrentPrincipal
from app.core.db import SessionDep
from app.core.deadline import allow_longer
from app.core.errors import NotFound, responses
from app.core.pagination import Page, PageDep, bounded, door_order, page_list
from app.core.spreadsheets import MEDIA, SPREADSHEET_RESPONSE, attachment
from app.files.errors import FILE_NOT_USABLE
from app.files.storage import StorageDep
from app.projects import reads as projects
from app.registry import reads as registry
from app.surveys import exports, results, service
from app.surveys.deps import ExportForManage, QuestionnaireForCollect, QuestionnaireForManage, QuestionnaireForRead
from app.surveys.errors import (
    ANSWERED_AT_INVALID,
    ANSWERS_INVALID,
    BUILDING_NOT_IN_ESTATE,
    EXPORT_GONE,
    EXPORT_NOT_READY,
    MENU_ITEM_UNKNOWN,
    OWNERS_ONLY,
    PROXY_NOT_ALLOWED,
    QUESTIONNAIRE_CLOSES_IN_PAST,
    QUESTIONNAIRE_INVALID,
    QUESTIONNAIRE_NOT_DRAFT,
    QUESTIONNAIRE_NOT_OPEN,
    RESPONSE_CONFLICT,
    RESULTS_NOT_PUBLIC,
    UNIT_OUTSIDE_QUESTIONNAIRE,
)
from app.surveys.models import ExportFormat, Questionnaire
from app.surveys.schemas import (
    NonRespondent,
    QuestionnaireCreate,
    QuestionnaireExportIn,
    QuestionnaireExportPublic,
    QuestionnairePublic,
    QuestionnairePublishIn,
    QuestionnaireResultsPublic,
    QuestionnaireUpdate,
    ResponseIn,
    ResponsePublic,
    SubmitResult,
    SyncIn,
    SyncOut,
    TemplatePublic,
)
from app.surveys.templates import TEMPLATES

router = APIRouter(tags=["questionnaires"], responses=responses(*AUTHENTICATED, 422))

DEFINITION = (QUESTIONNAIRE_INVALID, MENU_ITEM_UNKNOWN, BUILDING_NOT_IN_ESTATE, QUESTIONNAIRE_CLOSES_IN_PAST)
SUBMIT = (QUESTIONNAIRE_NOT_OPEN, ANSWERS_INVALID, RESPONSE_CONFLICT, OWNERS_ONLY, PROXY_NOT_ALLOWED,
          UNIT_OUTSIDE_QUESTIONNAIRE, ANSWERED_AT_INVALID, FILE_NOT_USABLE)


async def _one(session, q: Questionnaire) -> QuestionnairePublic:
    return (await service.public(session, [q]))[0]


@router.get("/questionnaire-templates", response_model=bounded(TemplatePublic, "one per template", len(TEMPLATES)))
async def list_questionnaire_templates(_: CurrentPrincipal) -> list[TemplatePublic]:
    """The templates staff start from: the renovation needs survey (from the renovation menu) and the
    satisfaction survey. Create one with ``{"template": key}``."""
    return [TemplatePublic(key=key, **build()) for key, build in TEMPLATES.items()]


@router.get("/projects/{project_id}/questionnaires", response_model=bounded(QuestionnairePublic, "one project's questionnaires"), responses=responses(404))
async def list_questionnaires(project_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep):
    """Every version; drafts only for those who manage the project."""
    await projects.require_project(session, principal, project_id, "read")
    return await service.public(session, await service.list_for_project(session, principal, project_id))


@router.post("/projects/{project_id}/questionnaires", response_model=QuestionnairePublic,
             status_code=status.HTTP_201_CREATED, responses=responses(403, 404, *DEFINITION))
async def create_questionnaire(project_id: uuid.UUID, body: QuestionnaireCreate, principal: CurrentPrincipal,
                               session: SessionDep):
    project = await projects.require_project(session, principal, project_id, "manage")
    return await _one(session, await service.create(session, principal.id, project, body))


@router.get("/questionnaires/{questionnaire_id}", response_model=QuestionnairePublic, responses=responses(404))
async def get_questionnaire(questionnaire: QuestionnaireForRead, session: SessionDep):
    """The questionnaire with everything a client needs to render and pre-check it (question types,
    options, bounds, ``show_if`` conditions)."""
    return await _one(session, questionnaire)


@router.patch("/questionnaires/{questionnaire_id}", response_model=QuestionnairePublic,
              responses=responses(403, 404, QUESTIONNAIRE_NOT_DRAFT, *DEFINITION))
async def update_questionnaire(questionnaire: QuestionnaireForManage, body: QuestionnaireUpdate,
                               principal: CurrentPrincipal, session: SessionDep):
    """Only while draft."""
    return await _one(session, await service.update_draft(session, principal, questionnaire, body))


@router.post("/questionnaires/{questionnaire_id}/publish", response_model=QuestionnairePublic,
             responses=responses(403, 404, QUESTIONNAIRE_NOT_DRAFT, *DEFINITION))
async def publish_questionnaire(questionnaire: QuestionnaireForManage, principal: CurrentPrincipal,
                                session: SessionDep, body: QuestionnairePublishIn | None = None):
    """Publish the draft (it never changes again) and tell the residents in scope. Another version of
    the same questionnaire still open is closed."""
    closes_at = body.closes_at if body else None
    return await _one(session, await service.publish(session, principal.id, questionnaire, closes_at))


@router.post("/questionnaires/{questionnaire_id}/close", response_model=QuestionnairePublic,
             responses=responses(403, 404, QUESTIONNAIRE_NOT_OPEN))
async def close_questionnaire(questionnaire: QuestionnaireForManage, principal: CurrentPrincipal, session: SessionDep):
    return await _one(session, await service.close(session, questionnaire, principal.id))


@router.post("/questionnaires/{questionnaire_id}/versions", response_model=QuestionnairePublic,
             status_code=status.HTTP_201_CREATED, responses=responses(403, 404))
async def new_questionnaire_version(questionnaire: QuestionnaireForManage, principal: CurrentPrincipal,
                                    session: SessionDep):
    """A draft copy as the next version: how a published questionnaire is edited."""
    return await _one(session, await service.new_version(session, principal, questionnaire))


@router.post("/questionnaires/{questionnaire_id}/responses", response_model=SubmitResult,
             status_code=status.HTTP_201_CREATED,
             responses={**responses(403, 404, *SUBMIT), 200: {"model": SubmitResult, "description": "duplicate"}})
async def submit_response(questionnaire: QuestionnaireForRead, body: ResponseIn, principal: CurrentPrincipal,
                          session: SessionDep):
    """A resident answers for their unit (``channel: self``), or a grid worker for a unit of their grid
    (``proxy``, with photos of the paper form). Answering again replaces the unit's answer until close;
    sending the same ``response_id`` again answers 200 ``duplicate``."""
    result = await service.submit(session, principal, questionnaire, body)
    if result.status == "duplicate":
        return JSONResponse(result.model_dump(mode="json"), status_code=status.HTTP_200_OK)
    return result


@router.post("/sync/questionnaire-responses", response_model=SyncOut)
async def sync_questionnaire_responses(body: SyncIn, principal: CurrentPrincipal, session: SessionDep) -> SyncOut:
    """Up to 500 responses collected offline, each with its ``questionnaire_id``. Each is answered on its
    own: ``created``, ``duplicate`` (sent before: nothing changes), ``conflict`` (its id was used for other
    content) or ``rejected`` (with the error); a bad item never rejects the others."""
    return SyncOut(results=await service.sync(session, principal, body.items))


@router.get("/questionnaires/{questionnaire_id}/my-responses", response_model=bounded(ResponsePublic, "the caller's units' answers and their history"),
            responses=responses(404))
async def my_responses(questionnaire: QuestionnaireForRead, principal: CurrentPrincipal, session: SessionDep):
    """The answers that count for the caller's units (or the caller, per person)."""
    return await service.responses_public(session, await service.my_responses(session, principal, questionnaire))


@router.get("/questionnaires/{questionnaire_id}/units/{unit_id}/responses", response_model=bounded(ResponsePublic, "one unit's answers and their history"),
            responses=responses(403, 404))
async def unit_responses(questionnaire: QuestionnaireForCollect, unit_id: uuid.UUID, principal: CurrentPrincipal,
                         session: SessionDep):
    """Every answer sent for the unit, newest first: the history behind the one that counts."""
    if await registry.unit_in_scope(session, principal, unit_id, "contact") is None:
        raise NotFound()
    return await service.responses_public(session, await service.unit_history(session, questionnaire, unit_id))


@router.get("/questionnaires/{questionnaire_id}/results", response_model=QuestionnaireResultsPublic,
            responses=responses(403, 404, RESULTS_NOT_PUBLIC))
async def questionnaire_results(questionnaire: QuestionnaireForRead, principal: CurrentPrincipal, session: SessionDep):
    """Counts and percentages per question and per building, and the response rate. Staff and grid workers
    follow them while open; residents see the totals after close (never who answered what)."""
    return await results.visible_results(session, principal, questionnaire)


@router.get("/questionnaires/{questionnaire_id}/non-respondents", response_model=Page[NonRespondent],
            responses=responses(400, 403, 404))
async def questionnaire_non_respondents(questionnaire: QuestionnaireForCollect, principal: CurrentPrincipal,
                                        session: SessionDep, page: PageDep, grid_id: uuid.UUID | None = None):
    """The units that have not answered, in building and room order and in pages: the grid worker's
    door-knocking list (their own grid's units only)."""
    units = await results.non_respondents(session, principal, questionnaire, grid_id)
    items, cursor = page_list(units, door_order, page)
    return Page(items=items, next_cursor=cursor)


allow_longer("GET", "/export")  # the workbook is built before its first byte (app.core.deadline)


@router.get("/questionnaires/{questionnaire_id}/export", response_class=StreamingResponse,
            responses={**responses(403, 404), **SPREADSHEET_RESPONSE})
async def export_questionnaire(questionnaire: QuestionnaireForManage, session: SessionDep,
                               format: Annotated[Literal["xlsx", "csv"], Query()] = "xlsx"):
    """One row per answer that counts, one column per question, Chinese headers, built before the first byte
    (100,000 responses take 15-25 s). For a large questionnaire prefer the background export, ``POST
    /questionnaires/{id}/exports``: the same file, made by the worker while the client follows it."""
    export = results.export_csv if format == "csv" else results.export_xlsx
    spooled = await export(session, questionnaire)
    return StreamingResponse(iter(lambda: spooled.read(64 * 1024), b""), media_type=MEDIA[format],
                             headers=attachment(f"answers.{format}", f"{questionnaire.title}.{format}"))


@router.post("/questionnaires/{questionnaire_id}/exports", response_model=QuestionnaireExportPublic,
             status_code=status.HTTP_202_ACCEPTED, responses=responses(403, 404))
async def request_questionnaire_export(questionnaire: QuestionnaireForManage, principal: CurrentPrincipal,
                                       session: SessionDep, response: Response,
                                       body: QuestionnaireExportIn | None = None):
    """Queue the export of the answers (the file of ``GET /questionnaires/{id}/export``, xlsx by default) for
    the worker, which writes it in the background: 202 with the export (``Location`` names it). Follow ``GET
    /questionnaire-exports/{id}`` until ``done``, then download its ``download_url``. Each request makes a new
    export of the answers as they are then; send an ``Idempotency-Key`` to retry safely."""
    export = await exports.request(session, principal, questionnaire, body.format if body else ExportFormat.xlsx)
    response.headers["Location"] = f"/api/v1/questionnaire-exports/{export.id}"
    return exports.export_public(export)


@router.get("/questionnaire-exports/{export_id}", response_model=QuestionnaireExportPublic, responses=responses(404))
async def get_questionnaire_export(export: ExportForManage):
    """A background export: its status (queued, running, done, failed), the rows written of the rows to
    write, and once done its ``download_url``; for those who manage its questionnaire (others: 404)."""
    return exports.export_public(export)


@router.get("/questionnaire-exports/{export_id}/file", response_class=StreamingResponse,
            responses={**responses(404, EXPORT_NOT_READY, EXPORT_GONE), **SPREADSHEET_RESPONSE})
async def download_questionnaire_export(export: ExportForManage, session: SessionDep, storage: StorageDep):
    """The export's file, streamed, named after the questionnaire; 409 ``questionnaire_export_not_ready``
    until it is done."""
    file = await exports.download(session, storage, export)
    return StreamingResponse(file.chunks, media_type=file.media_type, headers=file.headers)
