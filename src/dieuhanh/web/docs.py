"""``/docs``: the API's documentation, offline (Swagger UI vendored under ``static/vendor/swagger-ui``, started by a
static script, no CDN and no inline script), with every endpoint summarised in Vietnamese.

A route's summary is, in order: the summary its decorator gives when it is Vietnamese, the Vietnamese first line
of its docstring, or the entry of ``SUMMARIES`` (one table here, so that the modules' files stay as they are).
``tests/web/test_docs.py`` fails for an endpoint that ends up with none.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

VIETNAMESE = re.compile(r"[àáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡùúụủũưừứựửữỳýỵỷỹđ]", re.IGNORECASE)

# (method, path) -> Vietnamese summary, for endpoints whose decorator and docstring do not give one.
SUMMARIES: dict[tuple[str, str], str] = {
    ("GET", "/healthz"): "Kiểm tra hệ thống đang hoạt động (cơ sở dữ liệu, kho dữ liệu, phiên bản)",
    ("GET", "/api/v1/boards/{slug}/view"): "Nội dung một bảng điều hành (ô chỉ số, bản đồ) cho toàn tỉnh hoặc một xã",
    ("GET", "/api/v1/units"): "Danh sách đơn vị hành chính của tỉnh",
    ("GET", "/api/v1/units/resolve"): "Xác định xã, phường từ một địa chỉ (tên mới hoặc tên trước 2025)",
    ("GET", "/api/v1/units/boundaries.geojson"): "Ranh giới các xã, phường (GeoJSON)",
    ("GET", "/api/v1/units/{code}"): "Thông tin một đơn vị hành chính",
    ("GET", "/api/v1/agencies"): "Danh sách cơ quan, đơn vị",
    ("GET", "/api/v1/agencies/{code}"): "Thông tin một cơ quan, đơn vị",
    ("PATCH", "/api/v1/agencies/{code}"): "Sửa thông tin cơ quan, đơn vị",
    ("GET", "/api/v1/me"): "Người dùng hoặc mã truy cập đang gọi API",
    ("GET", "/api/v1/users"): "Danh sách người dùng",
    ("POST", "/api/v1/users"): "Tạo người dùng",
    ("GET", "/api/v1/tokens"): "Danh sách mã truy cập API",
    ("POST", "/api/v1/tokens"): "Tạo mã truy cập API",
    ("DELETE", "/api/v1/tokens/{token_id}"): "Thu hồi mã truy cập API",
    ("GET", "/api/v1/audit"): "Nhật ký thay đổi",
    ("POST", "/api/v1/datasets"): "Khai báo bộ dữ liệu",
    ("GET", "/api/v1/datasets"): "Danh sách bộ dữ liệu",
    ("GET", "/api/v1/datasets/freshness"): "Tình trạng cập nhật, chất lượng các bộ dữ liệu",
    ("GET", "/api/v1/datasets/{name}"): "Thông tin một bộ dữ liệu",
    ("POST", "/api/v1/datasets/{name}/publish"): "Công bố bộ dữ liệu trên cổng dữ liệu mở",
    ("POST", "/api/v1/datasets/{name}/unpublish"): "Thôi công bố bộ dữ liệu",
    ("PUT", "/api/v1/datasets/{name}/schema"): "Cập nhật lược đồ bộ dữ liệu (phiên bản mới)",
    ("POST", "/api/v1/datasets/{name}/columns/{column}/pii"): "Xác nhận cột có (không có) dữ liệu cá nhân",
    ("POST", "/api/v1/datasets/{name}/batches"): "Nạp một lô dữ liệu (tệp hoặc bản ghi)",
    ("GET", "/api/v1/datasets/{name}/batches"): "Các lô đã nạp của bộ dữ liệu",
    ("POST", "/api/v1/datasets/{name}/preview"): "Xem trước kết quả nạp một tệp",
    ("DELETE", "/api/v1/datasets/{name}/batches/{batch_id}"): "Hủy một lô đã nạp",
    ("GET", "/api/v1/datasets/{name}/rows"): "Các dòng dữ liệu của bộ dữ liệu",
    ("POST", "/api/v1/datasets/{name}/access-requests"): "Đề nghị được dùng bộ dữ liệu",
    ("GET", "/api/v1/access-requests"): "Danh sách đề nghị dùng dữ liệu",
    ("POST", "/api/v1/access-requests/{request_id}/approve"): "Chấp thuận đề nghị dùng dữ liệu",
    ("POST", "/api/v1/access-requests/{request_id}/deny"): "Từ chối đề nghị dùng dữ liệu",
    ("POST", "/api/v1/datasets/{name}/update-requests"): "Đề nghị cơ quan chủ quản cập nhật dữ liệu",
    ("POST", "/api/v1/query"): "Chạy một câu truy vấn SQL chỉ đọc",
    ("GET", "/api/v1/ingest/sources"): "Danh sách nguồn dữ liệu tự động",
    ("POST", "/api/v1/ingest/sources"): "Khai báo nguồn dữ liệu tự động (kéo từ API)",
    ("GET", "/api/v1/ingest/sources/{source_id}"): "Thông tin một nguồn dữ liệu tự động",
    ("PATCH", "/api/v1/ingest/sources/{source_id}"): "Sửa nguồn dữ liệu tự động",
    ("POST", "/api/v1/ingest/sources/{source_id}/run"): "Chạy ngay một nguồn dữ liệu tự động",
    ("GET", "/api/v1/ingest/sources/{source_id}/runs"): "Các lần chạy của nguồn dữ liệu tự động",
    ("GET", "/api/v1/ingest/subscriptions"): "Danh sách đăng ký nhận bản tin MQTT",
    ("POST", "/api/v1/ingest/subscriptions"): "Đăng ký nhận bản tin MQTT vào một bộ dữ liệu",
    ("POST", "/api/v1/ingest/subscriptions/{subscription_id}/enabled"): "Bật, tắt một đăng ký MQTT",
    ("GET", "/api/v1/ingest/dead-letters"): "Bản tin không nạp được",
    ("POST", "/api/v1/publicservices/procedures"): "Gửi thủ tục hành chính (cập nhật theo mã thủ tục)",
    ("POST", "/api/v1/publicservices/dossiers"): "Gửi hồ sơ thủ tục hành chính (cập nhật theo mã hồ sơ)",
    ("GET", "/api/v1/publicservices/dossiers"): "Các hồ sơ đứng sau một số liệu của chỉ số",
    ("GET", "/api/v1/publicservices/procedures/{ma_tthc}"): "Tình trạng một thủ tục hành chính",
    ("GET", "/api/v1/publicservices/dossiers/{ma_ho_so}"): "Tình trạng một hồ sơ",
    ("GET", "/api/v1/publicservices/indicators"): "Điểm và chỉ tiêu QĐ 766 của một đơn vị trong một kỳ",
    ("POST", "/api/v1/publicservices/indicators/recompute"): "Tính lại bộ chỉ số QĐ 766",
    ("POST", "/api/v1/publicservices/petitions"): "Gửi phản ánh, kiến nghị về TTHC (PAKN)",
    ("POST", "/api/v1/publicservices/certified-copies"): "Gửi số liệu chứng thực bản sao điện tử của xã theo tháng",
    ("GET", "/api/v1/publicservices/ranking"): "Xếp hạng QĐ 766 của các tỉnh (bảng công bố của Cổng DVC quốc gia)",
    ("GET", "/open311/v2/discovery.{fmt}"): "Thông tin dịch vụ Open311 (discovery)",
    ("GET", "/api/v1/feedback/categories"): "Danh mục lĩnh vực phản ánh",
    ("POST", "/api/v1/feedback/categories"): "Thêm lĩnh vực phản ánh",
    ("PATCH", "/api/v1/feedback/categories/{service_code}"): "Sửa lĩnh vực phản ánh",
    ("GET", "/api/v1/feedback/routing-rules"): "Quy tắc chuyển phản ánh đến cơ quan xử lý",
    ("PUT", "/api/v1/feedback/routing-rules"): "Đặt quy tắc chuyển phản ánh",
    ("DELETE", "/api/v1/feedback/routing-rules/{rule_id}"): "Xóa quy tắc chuyển phản ánh",
    ("GET", "/api/v1/feedback/reports"): "Phản ánh cần xử lý của cơ quan",
    ("GET", "/api/v1/feedback/reports/{code}"): "Chi tiết một phản ánh (cán bộ)",
    ("POST", "/api/v1/feedback/reports/{code}/actions"): "Xử lý phản ánh (tiếp nhận, chuyển, trả lời…)",
    ("POST", "/api/v1/feedback/reports/{code}/merge"): "Gộp phản ánh trùng",
    ("GET", "/api/v1/feedback/overdue"): "Phản ánh quá hạn theo cơ quan",
    ("GET", "/api/v1/feedback/public/reports"): "Phản ánh công khai",
    ("POST", "/api/v1/feedback/public/reports"): "Người dân gửi phản ánh",
    ("GET", "/api/v1/feedback/public/reports/{code}"): "Tra cứu một phản ánh theo mã",
    ("POST", "/api/v1/feedback/public/reports/{code}/rating"): "Người dân đánh giá câu trả lời",
    ("POST", "/api/v1/feedback/public/reports/{code}/reopen"): "Người dân đề nghị xử lý lại",
    ("GET", "/api/v1/feedback/public/photos/{photo_id}"): "Ảnh của phản ánh công khai",
    ("GET", "/api/v1/reports"): "Danh sách loại báo cáo định kỳ",
    ("POST", "/api/v1/reports"): "Tạo, sửa loại báo cáo định kỳ",
    ("GET", "/api/v1/reports/late"): "Báo cáo chậm nộp của một kỳ",
    ("GET", "/api/v1/reports/{code}"): "Thông tin một loại báo cáo định kỳ",
    ("POST", "/api/v1/reports/{code}/assignments"): "Giao báo cáo cho cơ quan",
    ("DELETE", "/api/v1/reports/{code}/assignments/{agency_code}"): "Thôi giao báo cáo cho cơ quan",
    ("GET", "/api/v1/reports/{code}/template.xlsx"): "Tải biểu mẫu báo cáo (Excel)",
    ("GET", "/api/v1/reports/{code}/submissions"): "Các lần nộp báo cáo",
    ("POST", "/api/v1/reports/{code}/submissions"): "Nộp báo cáo (tệp Excel)",
    ("GET", "/api/v1/alerts/{instance_id}"): "Chi tiết một cảnh báo và lịch sử trạng thái",
    ("POST", "/api/v1/alerts/{instance_id}/ack"): "Xác nhận đã biết cảnh báo",
    ("GET", "/api/v1/alert-rules"): "Danh sách quy tắc cảnh báo",
    ("POST", "/api/v1/alert-rules"): "Tạo quy tắc cảnh báo",
    ("GET", "/api/v1/alert-rules/{rule_id}"): "Thông tin một quy tắc cảnh báo",
    ("PATCH", "/api/v1/alert-rules/{rule_id}"): "Sửa quy tắc cảnh báo",
    ("DELETE", "/api/v1/alert-rules/{rule_id}"): "Xóa quy tắc cảnh báo",
    ("GET", "/api/v1/silences"): "Danh sách lệnh tạm tắt thông báo",
    ("POST", "/api/v1/silences"): "Tạm tắt thông báo cảnh báo",
    ("DELETE", "/api/v1/silences/{silence_id}"): "Kết thúc lệnh tạm tắt thông báo",
    ("GET", "/api/v1/directives"): "Danh sách chỉ đạo",
    ("POST", "/api/v1/directives"): "Giao chỉ đạo",
    ("GET", "/api/v1/directives/overdue-by-agency"): "Số chỉ đạo quá hạn theo cơ quan",
    ("GET", "/api/v1/directives/{directive_id}"): "Chi tiết một chỉ đạo",
    ("POST", "/api/v1/directives/{directive_id}/updates"): "Báo cáo tiến độ thực hiện chỉ đạo",
    ("POST", "/api/v1/directives/{directive_id}/close"): "Hoàn thành chỉ đạo",
    ("GET", "/api/v1/indicators"): "Danh sách chỉ số với kỳ mới nhất, kỳ cần có và tình trạng số liệu cũ",
    ("POST", "/api/v1/indicators"): "Định nghĩa chỉ số (nhà phân tích)",
    ("POST", "/api/v1/indicators/compute"): "Tính lại chỉ số",
    ("GET", "/api/v1/indicators/{code}"): "Định nghĩa một chỉ số",
    ("GET", "/api/v1/indicators/{code}/values"): "Giá trị của chỉ số theo kỳ và đơn vị (kỳ tạm tính được đánh dấu)",
    ("GET", "/api/v1/documents"): "Danh sách văn bản đến",
    ("POST", "/api/v1/documents/extract"): "Trích xuất thông tin từ một văn bản (không lưu)",
    ("GET", "/api/v1/documents/stats"): "Thống kê xử lý văn bản đến theo cơ quan",
    ("POST", "/api/v1/documents/routing/train"): "Huấn luyện lại mô hình gợi ý cơ quan xử lý",
    ("GET", "/api/v1/documents/{document_id}"): "Chi tiết một văn bản đến",
    ("GET", "/api/v1/documents/{document_id}/file"): "Tải tệp của văn bản đến",
    ("GET", "/api/v1/documents/{document_id}/routing"): "Gợi ý cơ quan chủ trì, phối hợp",
    ("POST", "/api/v1/documents/{document_id}/progress"): "Báo cáo tiến độ xử lý văn bản",
    ("POST", "/api/v1/documents/{document_id}/reopen"): "Mở lại văn bản đã xử lý xong",
    ("GET", "/api/v1/documents/{document_id}/related"): "Các văn bản liên quan",
    ("GET", "/api/v1/events/types"): "Danh mục loại sự kiện",
    ("POST", "/api/v1/events"): "Gửi sự kiện vào phòng điều hành",
    ("GET", "/api/v1/events"): "Danh sách sự kiện",
    ("POST", "/api/v1/events/cap"): "Gửi cảnh báo dạng CAP",
    ("POST", "/api/v1/events/webhooks/{slug}"): "Nhận sự kiện từ webhook của một nguồn",
    ("GET", "/api/v1/events/timeline"): "Dòng thời gian sự kiện",
    ("GET", "/api/v1/events/{event_id}"): "Chi tiết một sự kiện",
    ("POST", "/api/v1/incidents"): "Mở sự cố",
    ("GET", "/api/v1/incidents"): "Danh sách sự cố",
    ("GET", "/api/v1/incidents/{incident_id}"): "Chi tiết một sự cố",
    ("POST", "/api/v1/incidents/{incident_id}/ack"): "Xác nhận tiếp nhận sự cố",
    ("POST", "/api/v1/incidents/{incident_id}/assign"): "Giao xử lý sự cố",
    ("POST", "/api/v1/incidents/{incident_id}/steps/{n}/done"): "Hoàn thành một bước của quy trình xử lý",
    ("POST", "/api/v1/incidents/{incident_id}/escalate"): "Nâng mức xử lý sự cố",
    ("POST", "/api/v1/incidents/{incident_id}/close"): "Kết thúc sự cố",
    ("POST", "/api/v1/incidents/{incident_id}/notes"): "Ghi chú vào sự cố",
    ("GET", "/api/v1/incidents/{incident_id}/photos/{photo_id}"): "Ảnh của sự cố",
    ("POST", "/api/v1/procedures-sop"): "Lưu quy trình xử lý sự cố",
    ("GET", "/api/v1/procedures-sop/{code}"): "Một quy trình xử lý sự cố",
    ("GET", "/api/v1/cameras"): "Danh sách camera",
    ("POST", "/api/v1/cameras"): "Lưu thông tin camera",
    ("GET", "/api/v1/cameras/{camera_id}"): "Thông tin một camera",
    ("POST", "/api/v1/cameras/{camera_id}/heartbeat"): "Camera báo còn hoạt động",
    ("GET", "/api/v1/cameras/{camera_id}/snapshot"): "Ảnh chụp mới nhất của camera",
    ("GET", "/api/v1/sensors"): "Danh sách cảm biến",
    ("POST", "/api/v1/sensors"): "Lưu thông tin cảm biến",
    ("GET", "/api/v1/event-feeds"): "Danh sách nguồn sự kiện",
    ("POST", "/api/v1/event-feeds"): "Lưu nguồn sự kiện",
    ("GET", "/api/v1/notify-rules"): "Quy tắc báo tin sự kiện",
    ("POST", "/api/v1/notify-rules"): "Lưu quy tắc báo tin sự kiện",
    ("GET", "/api/v1/operations/notifications"): "Thông báo của tôi ở phòng điều hành",
    ("GET", "/api/v1/operations/layers"): "Các lớp bản đồ của phòng điều hành",
    ("GET", "/api/v1/forecasts/traffic"): "Dự báo tốc độ giao thông",
    ("GET", "/api/v1/forecasts/traffic/links"): "Danh sách đoạn đường được dự báo",
    ("GET", "/api/v1/forecasts/traffic/links/{code}"): "Dự báo và hồ sơ của một đoạn đường",
    ("GET", "/api/v1/forecasts/traffic/anomalies"): "Bất thường giao thông trong ngày",
    ("POST", "/api/v1/forecasts/traffic/refresh"): "Tính lại dự báo giao thông",
    ("GET", "/api/v1/forecasts/waste"): "Dự báo chất thải rắn theo xã",
    ("GET", "/api/v1/forecasts/waste/scenarios"): "Danh sách kịch bản chất thải rắn",
    ("POST", "/api/v1/forecasts/waste/scenarios"): "Tạo kịch bản chất thải rắn",
    ("GET", "/api/v1/forecasts/waste/scenarios/{scenario_id}"): "Một kịch bản chất thải rắn",
    ("PUT", "/api/v1/forecasts/waste/scenarios/{scenario_id}"): "Sửa kịch bản chất thải rắn",
    ("DELETE", "/api/v1/forecasts/waste/scenarios/{scenario_id}"): "Xóa kịch bản chất thải rắn",
    ("GET", "/api/v1/indicators/{code}/forecast"): "Dự báo của một chỉ số",
    ("GET", "/api/v1/forecasts/targets"): "Dự báo cả năm và khả năng đạt chỉ tiêu",
}


def _first_line(text: str | None) -> str:
    return (text or "").strip().split("\n", 1)[0].strip()


def vietnamese(text: str | None) -> bool:
    return bool(text and VIETNAMESE.search(text))


def summarise(app: FastAPI) -> None:
    """Give every documented operation a Vietnamese summary (see the module's docstring), in the OpenAPI document
    the app generates (once; FastAPI caches it)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        from dieuhanh.web.params import document_errors

        schema = document_errors(generate())
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                if not isinstance(operation, dict) or vietnamese(operation.get("summary")):
                    continue
                doc = _first_line(operation.get("description"))
                summary = SUMMARIES.get((method.upper(), path)) or (doc if vietnamese(doc) else None)
                if summary:
                    operation["summary"] = summary.rstrip(".")
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


PAGE = """<!doctype html>
<html lang="vi">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Tài liệu API — {title}</title>
  <link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
  <link rel="stylesheet" href="/static/vendor/swagger-ui/swagger-ui.css">
  <link rel="stylesheet" href="/static/docs.css">
</head>
<body>
  <header class="docs-head"><a href="/">← Trung tâm điều hành</a> · Tài liệu API (OpenAPI) ·
    <a href="/openapi.json">openapi.json</a></header>
  <div id="swagger-ui" data-openapi="/openapi.json" data-testid="swagger-ui"></div>
  <noscript>Trang tài liệu cần JavaScript; đặc tả API ở <a href="/openapi.json">/openapi.json</a>.</noscript>
  <script src="/static/vendor/swagger-ui/swagger-ui-bundle.js" defer></script>
  <script src="/static/docs.js" defer></script>
</body>
</html>
"""


def install(app: FastAPI) -> None:
    """Serve ``/docs`` from the vendored Swagger UI (FastAPI's own page loads it from a CDN)."""
    from html import escape

    @app.get("/docs", include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        return HTMLResponse(PAGE.format(title=escape(app.title)))

    summarise(app)
