"""The demo province's DTI: the 2026 campaign for every department and the 129 communes, automatic scores from
the demo's own indicator values, submissions (some late), reviews under way, last year's results, the national
indices (published figures with their source, the rest marked as demo)."""

from __future__ import annotations

from sqlalchemy import func, select

from dieuhanh.catalog import service as catalog
from dieuhanh.dti import governance, opendata, service
from dieuhanh.dti.models import DtiAnswer, DtiForm
from dieuhanh.indicators.models import IndicatorValue


def test_demo_dti(demo_province):
    summary = demo_province.summary["dti"]
    print("dti demo:", summary["seconds"], "s")
    assert summary["seconds"] < 30  # generous: the tests share a loaded machine (≈ 2,5 s idle)
    communes = summary["dti_xa_phuong"]["2026"]
    assert communes["units"] == 129 and 0 < communes["late"] < communes["submitted"] < 129
    assert communes["reviewed_units"] > 0 and summary["dti_so_nganh"]["2025"]["submitted"] == 19
    with demo_province.db.session() as s:
        res = service.results(s, demo_province.warehouse, level="commune")
        rows = res["results"]
        assert len(rows) == 129 and res["partial"] and res["demo"] and res["year"] == 2026
        assert rows[0]["rank"] == 1 and rows[0]["total"] >= rows[-1]["total"]
        assert {r["area"] for r in rows} == {"Hà Nam", "Nam Định", "Ninh Bình"}
        assert all(r["unit_name"].startswith("UBND ") for r in rows)
        assert sum(r["change"] is not None for r in rows) == 129
        assert any(r["status"] == "good" for r in rows) and any(r["status"] != "good" for r in rows)
        # an automatic sub-indicator is the year's ratio of the demo's own online-dossier values
        first = rows[0]
        unit_code = first["unit"].removeprefix("UBND")
        num, den = s.execute(select(func.sum(IndicatorValue.numerator), func.sum(IndicatorValue.denominator))
                             .where(IndicatorValue.code == "dvc_ty_le_truc_tuyen", IndicatorValue.level == "commune",
                                    IndicatorValue.unit_code == unit_code,
                                    IndicatorValue.period.like("2026-%"))).one()
        auto = s.scalar(select(DtiAnswer.value).join(DtiForm).where(
            DtiForm.campaign_id == res["campaign"], DtiForm.agency_code == first["unit"],
            DtiAnswer.sub_code == "CQS.1.1"))
        assert auto == round(100 * num / den, 2)
        states = dict(s.execute(select(DtiAnswer.review_state, func.count()).join(DtiForm)
                                .where(DtiForm.campaign_id == res["campaign"], DtiAnswer.automatic.is_(False))
                                .group_by(DtiAnswer.review_state)).all())
        assert states.get("adjusted", 0) > 0 and states.get("more_evidence", 0) > 0 and states["pending"] > 0
        last_year = service.results(s, None, campaign_id=service.campaign_for(s, level="commune", year=2025).id,
                                    public=True)
        assert last_year["published"] and not last_year["partial"]
        # published results are an open dataset: 19 departments × 14 scores + 129 communes × 13 scores
        ds = catalog.get_dataset(s, opendata.DATASET)
        assert ds.published and ds.access == "public"
        counted = demo_province.warehouse.query(
            f"SELECT count(*) AS n, count(DISTINCT ma_don_vi) AS units FROM {opendata.DATASET} WHERE nam = 2025")
        assert (counted.column(0)[0].as_py(), counted.column(1)[0].as_py()) == (19 * 14 + 129 * 13, 148)
        indices = governance.series(s, province_code="37")
        dti = {r.year: r for r in indices["dti"]}
        assert (dti[2021].value, dti[2021].rank, dti[2021].demo) == (0.5064, 6, False)
        assert dti[2025].demo and dti[2025].rank_of == 34
        assert all(indices[k] for k in ("par", "sipas", "papi", "pci", "qd766"))
