"""JSON API of the DTI domain (thin: the rules are in service.py and governance.py).

* ``POST /api/v1/dti/frameworks`` (YAML or JSON body), ``GET /api/v1/dti/frameworks[/{code}]``;
* ``POST /api/v1/dti/campaigns`` ``{framework, year, units, deadline}``; ``GET /api/v1/dti/campaigns[/{id}]``;
  ``POST /{id}/close``, ``POST /{id}/publish``;
* ``GET /api/v1/dti/campaigns/{id}/units/{unit}`` (the form, automatic values recomputed);
  ``PUT …/answers/{sub_indicator}`` (JSON ``{value, note, evidence: [{title, url}]}`` or multipart with ``file``);
  ``POST …/submit``; ``POST …/review/{sub_indicator}`` ``{score, comment, action?}``;
* ``GET /api/v1/dti/results?campaign=&level=department|commune`` →
  ``[{unit, total, pillars: {...}, indices: {...}, rank}]``;
* ``POST /api/v1/governance-indices`` ``{index, year, province_code, value, rank, components}``,
  ``GET /api/v1/governance-indices``.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.datastructures import UploadFile

from dieuhanh.core.errors import FieldError, InvalidInput, NotFound
from dieuhanh.core.security import allowed, authorize
from dieuhanh.dti import governance, service
from dieuhanh.dti.framework import message
from dieuhanh.dti.models import DtiEvidenceFile
from dieuhanh.web.deps import DB, CurrentPrincipal, LoggedIn, read_body_limited
from dieuhanh.web.params import json_body

router = APIRouter(tags=["chuyển đổi số (DTI)"])

IdPath = Annotated[int, Path(ge=1, le=2**31 - 1)]
CodePath = Annotated[str, Path(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9_.\-]+$")]
MAX_BODY = 11 * 1024 * 1024


class CampaignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    framework: str = Field(min_length=1, max_length=60)
    year: int = Field(ge=2020, le=2100)
    deadline: date
    units: list[str] = Field(default_factory=list, max_length=500)


class EvidenceLink(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(default="", max_length=300)
    url: str = Field(min_length=1, max_length=1000)


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: bool | float | str | None = None
    note: str = Field(default="", max_length=4000)
    evidence: list[EvidenceLink] = Field(default_factory=list, max_length=30)


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    score: float | None = None
    comment: str = Field(default="", max_length=4000)
    action: Literal["accept", "adjust", "more_evidence"] | None = None


def _model(cls: type[BaseModel], data: Any) -> Any:
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        errors = [FieldError(message(e), field=".".join(str(x) for x in e.get("loc", ()))) for e in exc.errors()]
        raise InvalidInput("Dữ liệu không hợp lệ: " + "; ".join(f"{e.field}: {e.message}" for e in errors),
                           errors=errors) from exc


async def _json(request: Request) -> Any:
    body = await read_body_limited(request, 1024 * 1024)
    try:
        return json.loads(body or b"null")
    except ValueError:
        raise InvalidInput("Nội dung gửi lên không phải JSON hợp lệ.") from None


# ------------------------------------------------------------------------------------------------ frameworks


@router.post("/api/v1/dti/frameworks", status_code=201,
             summary="Khai báo khung đánh giá chuyển đổi số (YAML hoặc JSON)")
async def framework_define(request: Request, db: DB, principal: LoggedIn) -> dict[str, Any]:
    """Define (or redefine) a framework from a YAML or JSON body."""
    authorize(principal, "dti.framework.define")
    body = await read_body_limited(request, 1024 * 1024)
    text = body.decode("utf-8-sig", errors="replace")
    row = service.define_framework(db, principal=principal, data=text, origin="API")
    return service.framework_out(row)


@router.get("/api/v1/dti/frameworks", summary="Danh sách khung đánh giá chuyển đổi số")
def framework_list(db: DB, principal: LoggedIn) -> list[dict[str, Any]]:
    authorize(principal, "officials.read")
    return [{"code": f.code, "name": f.name, "level": f.level, "url": f"/api/v1/dti/frameworks/{f.code}"}
            for f in service.list_frameworks(db)]


@router.get("/api/v1/dti/frameworks/{code}", summary="Một khung đánh giá chuyển đổi số")
def framework_get(code: CodePath, db: DB, principal: LoggedIn) -> dict[str, Any]:
    authorize(principal, "officials.read")
    return service.framework_out(service.get_framework(db, code))


# ------------------------------------------------------------------------------------------------ campaigns


@router.post("/api/v1/dti/campaigns", status_code=201, summary="Mở đợt đánh giá chuyển đổi số",
             openapi_extra=json_body(CampaignIn))
async def campaign_create(request: Request, db: DB, principal: LoggedIn) -> dict[str, Any]:
    data = _model(CampaignIn, await _json(request))
    c = service.create_campaign(db, principal=principal, framework=data.framework, year=data.year,
                                deadline=data.deadline, units=data.units)
    return service.campaign_out(db, c)


@router.get("/api/v1/dti/campaigns", summary="Danh sách đợt đánh giá")
def campaign_list(db: DB, principal: LoggedIn) -> list[dict[str, Any]]:
    authorize(principal, "officials.read")
    return [service.campaign_out(db, c) for c in service.list_campaigns(db)]


@router.get("/api/v1/dti/campaigns/{campaign_id}", summary="Một đợt đánh giá và tình hình nộp phiếu")
def campaign_get(campaign_id: IdPath, db: DB, principal: LoggedIn) -> dict[str, Any]:
    authorize(principal, "officials.read")
    return service.campaign_out(db, service.get_campaign(db, campaign_id))


@router.post("/api/v1/dti/campaigns/{campaign_id}/close", summary="Đóng đợt đánh giá (chốt các giá trị tự động)")
def campaign_close(campaign_id: IdPath, request: Request, db: DB, principal: LoggedIn) -> dict[str, Any]:
    c = service.close_campaign(db, request.app.state.warehouse, principal=principal, campaign_id=campaign_id)
    return service.campaign_out(db, c)


@router.post("/api/v1/dti/campaigns/{campaign_id}/publish", summary="Công bố kết quả đợt đánh giá")
def campaign_publish(campaign_id: IdPath, request: Request, db: DB, principal: LoggedIn) -> dict[str, Any]:
    """Publish a closed, fully reviewed campaign: public results and the open dataset «ket_qua_chuyen_doi_so»."""
    c = service.publish_campaign(db, request.app.state.warehouse, principal=principal, campaign_id=campaign_id,
                                 province_code=request.app.state.settings.province_code)
    return service.campaign_out(db, c)


@router.get("/api/v1/dti/campaigns/{campaign_id}/units/{unit}",
             summary="Phiếu tự đánh giá của một đơn vị (kèm giá trị tự động)")
def form_get(campaign_id: IdPath, unit: CodePath, request: Request, db: DB, principal: LoggedIn) -> dict[str, Any]:
    """The unit's form: every sub-indicator with its rule, value, score, evidence and review; automatic ones
    recomputed from the platform's data (``automatic: true``, ``locked: true``, ``source_text``)."""
    return service.form_view(db, request.app.state.warehouse, principal=principal, campaign_id=campaign_id,
                             unit=unit)


@router.put("/api/v1/dti/campaigns/{campaign_id}/units/{unit}/answers/{sub_indicator}",
             summary="Trả lời một chỉ số thành phần, kèm minh chứng", openapi_extra=json_body(AnswerIn))
async def answer_put(campaign_id: IdPath, unit: CodePath, sub_indicator: CodePath, request: Request, db: DB,
                     principal: LoggedIn) -> dict[str, Any]:
    """Answer a self-assessed sub-indicator: JSON ``{value, note, evidence: [{title, url}]}``, or multipart with
    the same fields (``evidence`` as JSON text) and ``file`` (PDF or image, repeatable)."""
    authorize(principal, "dti.form.answer", unit)
    files: list[UploadFile] = []
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        await read_body_limited(request, MAX_BODY)
        form = await request.form(max_part_size=MAX_BODY)
        raw: dict[str, Any] = {"value": form.get("value") or None, "note": form.get("note") or ""}
        evidence = form.get("evidence")
        if isinstance(evidence, str) and evidence.strip():
            try:
                raw["evidence"] = json.loads(evidence)
            except ValueError:
                raise InvalidInput("Trường «evidence» phải là JSON [{title, url}].",
                                   errors=[FieldError("không phải JSON", field="evidence")]) from None
        files = [f for f in form.getlist("file") if isinstance(f, UploadFile)]
    else:
        raw = await _json(request)
    data = _model(AnswerIn, raw)
    answer = service.save_answer(db, principal=principal, campaign_id=campaign_id, unit=unit,
                                 sub_code=sub_indicator, value=data.value, note=data.note,
                                 evidence=[e.model_dump() for e in data.evidence])
    for f in files:
        service.add_evidence_file(db, principal=principal, campaign_id=campaign_id, unit=unit,
                                  sub_code=sub_indicator, filename=f.filename or "minh-chung",
                                  content_type=f.content_type or "", data=await f.read())
    return {"sub_indicator": answer.sub_code, "value": answer.value, "score": answer.score,
            "evidence": answer.evidence, "files": len(answer.files), "review_state": answer.review_state}


@router.post("/api/v1/dti/campaigns/{campaign_id}/units/{unit}/submit", summary="Nộp phiếu tự đánh giá")
def form_submit(campaign_id: IdPath, unit: CodePath, db: DB, principal: LoggedIn) -> dict[str, Any]:
    form = service.submit_form(db, principal=principal, campaign_id=campaign_id, unit=unit)
    return {"unit": form.agency_code, "status": form.status, "late": form.late,
            "submitted_at": form.submitted_at.isoformat() if form.submitted_at else None}


@router.post("/api/v1/dti/campaigns/{campaign_id}/units/{unit}/review/{sub_indicator}",
             summary="Thẩm định điểm một chỉ số thành phần", openapi_extra=json_body(ReviewIn))
async def review(campaign_id: IdPath, unit: CodePath, sub_indicator: CodePath, request: Request, db: DB,
                 principal: LoggedIn) -> dict[str, Any]:
    """Accept (no score or the same score), adjust (another score with a comment) or ask for more evidence
    (``action: more_evidence`` with a comment)."""
    data = _model(ReviewIn, await _json(request))
    a = service.review_answer(db, principal=principal, campaign_id=campaign_id, unit=unit,
                              sub_code=sub_indicator, score=data.score, comment=data.comment,
                              action=data.action)
    return {"sub_indicator": a.sub_code, "self_score": a.score, "review_state": a.review_state,
            "review_score": a.review_score, "final_score": service.final_score(a), "comment": a.review_comment}


@router.get("/api/v1/dti/evidence/{file_id}", summary="Tải tệp minh chứng")
def evidence_file(file_id: IdPath, db: DB, principal: LoggedIn) -> Response:
    row = db.get(DtiEvidenceFile, file_id)
    if row is None:
        raise NotFound("Không có tệp minh chứng này.")
    authorize(principal, "dti.form.read", row.answer.form.agency_code)
    return Response(row.data, media_type=row.content_type, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{_quote(row.filename)}",
        "X-Content-Type-Options": "nosniff"})


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")


# ------------------------------------------------------------------------------------------------ results


@router.get("/api/v1/dti/results", summary="Kết quả, xếp hạng chuyển đổi số theo đơn vị")
def results(request: Request, db: DB, principal: CurrentPrincipal,
            campaign: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
            level: Annotated[Literal["department", "commune"] | None, Query()] = None) -> list[dict[str, Any]]:
    """``[{unit, unit_name, total, pillars: {...}, indices: {...}, rank, rank_in_area, area, change, status}]``.
    The public sees only published campaigns."""
    public = not allowed(principal, "officials.read")
    data = service.results(db, request.app.state.warehouse, campaign_id=campaign, level=level, public=public)
    keys = ("unit", "unit_name", "total", "pillars", "indices", "rank", "rank_in_area", "area", "change",
            "status", "provisional", "form_status", "late")
    return [{k: r.get(k) for k in keys} for r in data["results"]]


# ------------------------------------------------------------------------------------------------ governance


@router.post("/api/v1/governance-indices", status_code=201,
             summary="Ghi chỉ số quản trị quốc gia của tỉnh (DTI, PAR INDEX, SIPAS, PAPI, PCI, QĐ 766)",
             openapi_extra=json_body(governance.GovernanceIn))
async def governance_record(request: Request, db: DB, principal: LoggedIn) -> dict[str, Any]:
    data = _model(governance.GovernanceIn, await _json(request))
    return governance.out(governance.record(db, principal=principal, data=data))


@router.get("/api/v1/governance-indices", summary="Các chỉ số quản trị quốc gia của tỉnh theo năm")
def governance_list(request: Request, db: DB, principal: LoggedIn,
                    province_code: Annotated[str | None, Query(pattern=r"^\d{2}$")] = None) -> list[dict[str, Any]]:
    authorize(principal, "officials.read")
    code = province_code or request.app.state.settings.province_code
    return [governance.out(r) for rows in governance.series(db, province_code=code).values() for r in rows]
