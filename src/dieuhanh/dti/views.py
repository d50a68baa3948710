"""Pages: `/chuyen-doi-so` (rankings of departments and communes, status vs target, year-on-year change, what to
fix), `/chuyen-doi-so/danh-gia/{campaign}/{unit}` (a unit's form: self-assessment, evidence, submission, review)
and `/chinh-quyen-so` (the province's national indices: DTI, PAR INDEX, SIPAS, PAPI, PCI, QĐ 766)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from dieuhanh.core.errors import DomainError
from dieuhanh.core.security import allowed, authorize
from dieuhanh.dti import framework as fw
from dieuhanh.dti import governance, service
from dieuhanh.web.deps import DB, LoggedIn
from dieuhanh.web.templating import render

router = APIRouter(include_in_schema=False)

IdPath = Annotated[int, Path(ge=1, le=2**31 - 1)]
CodePath = Annotated[str, Path(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9_.\-]+$")]
LEVELS = {"so-nganh": "department", "xa-phuong": "commune"}


def _vn(iso: str | None) -> str:
    """ISO date or date-time → dd/mm/yyyy (HH:MM)."""
    if not iso:
        return "–"
    if len(iso) <= 10:
        return date.fromisoformat(iso).strftime("%d/%m/%Y")
    return datetime.fromisoformat(iso).strftime("%H:%M %d/%m/%Y")


@router.get("/chuyen-doi-so", response_class=HTMLResponse)
def rankings(request: Request, db: DB, principal: LoggedIn,
             cap: Annotated[str, Query(pattern="^(so-nganh|xa-phuong)$")] = "so-nganh",
             khu_vuc: Annotated[str, Query(max_length=60)] = "",
             loi: Annotated[str, Query(max_length=400)] = "") -> HTMLResponse:
    authorize(principal, "officials.read")
    level = LEVELS[cap]
    data: dict[str, Any] | None = None
    if service.campaign_for(db, level=level) is not None:
        data = service.results(db, request.app.state.warehouse, level=level)
    rows = data["results"] if data else []
    areas = sorted({r["area"] for r in rows if r.get("area")})
    if khu_vuc:
        rows = [r for r in rows if r.get("area") == khu_vuc]
    own = principal.agency_code
    return render(request, "dti/rankings.html", {
        "data": data, "rows": rows, "cap": cap, "level": level, "areas": areas, "area": khu_vuc,
        "level_labels": fw.LEVEL_LABELS, "status_labels": service.STATUS_LABELS, "own": own,
        "can_read_all": principal.can_read_all(), "error": loi or None,
        "can_manage": allowed(principal, "dti.campaign.manage"), "as_of_label": _vn(data["as_of"]) if data else "",
        "deadline_label": _vn(service.get_campaign(db, data["campaign"]).deadline.isoformat()) if data else "",
        "campaign": service.campaign_out(db, service.get_campaign(db, data["campaign"])) if data else None,
    })


def _form_context(request: Request, db: DB, principal: Any, campaign_id: int, unit: str,
                  error: str | None = None) -> dict[str, Any]:
    form = service.form_view(db, request.app.state.warehouse, principal=principal, campaign_id=campaign_id,
                             unit=unit)
    return {"form": form, "error": error, "deadline_label": _vn(form["deadline"]),
            "submitted_label": _vn(form["submitted_at"]),
            "can_answer": allowed(principal, "dti.form.answer", unit),
            "can_review": allowed(principal, "dti.review"),
            # one axis per main index (a triangle of three pillars says little)
            "radar": {"indicator": [{"name": i["name"], "max": sum(s["points"] for s in i["sub_indicators"])}
                                    for p in form["pillars"] for i in p["indices"]],
                      "value": [form["index_totals"][i["code"]] for p in form["pillars"] for i in p["indices"]]}}


def _ranking(request: Request, db: Any, principal: Any, cap: str,
             khu_vuc: str) -> tuple[dict[str, Any], list[dict[str, Any]], str]:
    """What both exports show: the results of the level, the rows of the chosen area, the area's title suffix."""
    authorize(principal, "officials.read")
    data = service.results(db, request.app.state.warehouse, level=LEVELS[cap])
    rows = [r for r in data["results"] if not khu_vuc or r.get("area") == khu_vuc]
    return data, rows, f" — khu vực {khu_vuc}" if khu_vuc else ""


@router.get("/chuyen-doi-so/xuat.xlsx")
def rankings_xlsx(request: Request, db: DB, principal: LoggedIn,
                  cap: Annotated[str, Query(pattern="^(so-nganh|xa-phuong)$")] = "so-nganh",
                  khu_vuc: Annotated[str, Query(max_length=60)] = "") -> Response:
    """The ranking as an XLSX workbook (the same rows as the page, with every main index)."""
    from dieuhanh.dti.export import results_xlsx

    data, rows, area = _ranking(request, db, principal, cap, khu_vuc)
    title = f"{data['framework_name']} năm {data['year']}{area}"
    body = results_xlsx(data, rows, title=title, as_of=_vn(data["as_of"]))
    return Response(body, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="dti-{cap}-{data["year"]}.xlsx"'})


@router.get("/chuyen-doi-so/xuat.pdf")
def rankings_pdf(request: Request, db: DB, principal: LoggedIn,
                 cap: Annotated[str, Query(pattern="^(so-nganh|xa-phuong)$")] = "so-nganh",
                 khu_vuc: Annotated[str, Query(max_length=60)] = "") -> Response:
    """The ranking as a PDF report annex (the same rows as the page and the XLSX, with what each unit should fix)."""
    from datetime import datetime

    from dieuhanh.core.formatting import LOCAL_TZ
    from dieuhanh.dashboard.exports import html_to_pdf
    from dieuhanh.dti.export import results_html

    data, rows, area = _ranking(request, db, principal, cap, khu_vuc)
    title = f"Kết quả đánh giá {data['framework_name']} năm {data['year']}{area}"
    html = results_html(data, rows, title=title, as_of=_vn(data["as_of"]),
                        province=request.app.state.province.name,
                        today=datetime.now(LOCAL_TZ).strftime("%d/%m/%Y"))
    return Response(html_to_pdf(html), media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="dti-{cap}-{data["year"]}.pdf"'})


@router.post("/chuyen-doi-so/dot/{campaign_id}/{action}")
def campaign_action(request: Request, campaign_id: IdPath,
                    action: Annotated[str, Path(pattern="^(dong|cong-bo)$")], db: DB, principal: LoggedIn) -> Response:
    """Close the campaign (freezes automatic values) or publish its results."""
    campaign = service.get_campaign(db, campaign_id)
    level = service.get_framework(db, campaign.framework_code).level
    cap = "so-nganh" if level == "department" else "xa-phuong"
    try:
        with db.begin_nested():
            if action == "dong":
                service.close_campaign(db, request.app.state.warehouse, principal=principal, campaign_id=campaign_id)
            else:
                service.publish_campaign(db, request.app.state.warehouse, principal=principal,
                                         campaign_id=campaign_id,
                                         province_code=request.app.state.settings.province_code)
    except DomainError as exc:
        from urllib.parse import quote

        return RedirectResponse(f"/chuyen-doi-so?cap={cap}&loi={quote(exc.message[:300])}", status_code=303)
    return RedirectResponse(f"/chuyen-doi-so?cap={cap}", status_code=303)


@router.get("/chuyen-doi-so/danh-gia/{campaign_id}/{unit}", response_class=HTMLResponse)
def form_page(request: Request, campaign_id: IdPath, unit: CodePath, db: DB, principal: LoggedIn,
              loi: Annotated[str, Query(max_length=500)] = "") -> HTMLResponse:
    return render(request, "dti/form.html", _form_context(request, db, principal, campaign_id, unit, loi or None))


def _back(campaign_id: int, unit: str, error: str | None = None, anchor: str = "") -> RedirectResponse:
    from urllib.parse import quote

    url = f"/chuyen-doi-so/danh-gia/{campaign_id}/{unit}"
    if error:
        url += "?loi=" + quote(error[:480])
    return RedirectResponse(url + (f"#{anchor}" if anchor else ""), status_code=303)


@router.post("/chuyen-doi-so/danh-gia/{campaign_id}/{unit}/tra-loi/{sub}")
async def answer_post(request: Request, campaign_id: IdPath, unit: CodePath, sub: CodePath, db: DB,
                      principal: LoggedIn) -> Response:
    form = await request.form(max_part_size=11 * 1024 * 1024)
    value = str(form.get("value") or "").strip() or None
    links = []
    for line in str(form.get("evidence") or "").splitlines():
        if line.strip():
            title, _, url = line.rpartition(" ")
            links.append({"title": title.strip() or url.strip(), "url": url.strip()})
    try:
        with db.begin_nested():
            service.save_answer(db, principal=principal, campaign_id=campaign_id, unit=unit, sub_code=sub,
                                value=value.replace(",", ".") if value and _numeric(value) else value,
                                note=str(form.get("note") or ""), evidence=links)
            upload = form.get("file")
            if isinstance(upload, UploadFile) and upload.filename:
                service.add_evidence_file(db, principal=principal, campaign_id=campaign_id, unit=unit,
                                          sub_code=sub, filename=upload.filename,
                                          content_type=upload.content_type or "", data=await upload.read())
    except DomainError as exc:
        return _back(campaign_id, unit, exc.message, f"sub-{sub}")
    return _back(campaign_id, unit, anchor=f"sub-{sub}")


def _numeric(text: str) -> bool:
    return text.replace(",", "", 1).replace(".", "", 1).isdigit()


@router.post("/chuyen-doi-so/danh-gia/{campaign_id}/{unit}/nop")
def submit_post(campaign_id: IdPath, unit: CodePath, db: DB, principal: LoggedIn) -> Response:
    try:
        with db.begin_nested():
            service.submit_form(db, principal=principal, campaign_id=campaign_id, unit=unit)
    except DomainError as exc:
        return _back(campaign_id, unit, exc.message)
    return _back(campaign_id, unit)


@router.post("/chuyen-doi-so/danh-gia/{campaign_id}/{unit}/tham-dinh/{sub}")
async def review_post(request: Request, campaign_id: IdPath, unit: CodePath, sub: CodePath, db: DB,
                      principal: LoggedIn) -> Response:
    form = await request.form()
    action = str(form.get("action") or "accept")
    raw = str(form.get("score") or "").strip().replace(",", ".")
    try:
        score = float(raw) if raw else None
    except ValueError:
        return _back(campaign_id, unit, f"Điểm thẩm định «{raw}» không phải số.", f"sub-{sub}")
    try:
        with db.begin_nested():
            service.review_answer(db, principal=principal, campaign_id=campaign_id, unit=unit, sub_code=sub,
                                  score=None if action == "accept" else score, comment=str(form.get("comment") or ""),
                                  action="more_evidence" if action == "more_evidence" else None)
    except DomainError as exc:
        return _back(campaign_id, unit, exc.message, f"sub-{sub}")
    return _back(campaign_id, unit, anchor=f"sub-{sub}")


@router.get("/chinh-quyen-so", response_class=HTMLResponse)
def governance_board(request: Request, db: DB, principal: LoggedIn) -> HTMLResponse:
    authorize(principal, "officials.read")
    province = request.app.state.settings.province_code
    series = governance.series(db, province_code=province)
    former = {code: governance.series(db, province_code=code) for code in ("35", "36")} if province == "37" else {}
    chart = {k: {"years": [r.year for r in rows], "ranks": [r.rank for r in rows]}
             for k, rows in series.items() if rows}
    return render(request, "dti/governance.html", {
        "series": series, "indices": governance.INDICES, "chart": chart,
        "former": {code: [r for rows in s.values() for r in rows] for code, s in former.items()},
        "former_names": {"35": "Hà Nam (cũ)", "36": "Nam Định (cũ)"},
        "campaigns": [service.campaign_out(db, c) for c in service.list_campaigns(db)],
    })
