"""The app's messages, by id, in 简体中文 and English: the chrome of every page but the 计划 page (see :mod:`ykgeo.ui.i18n.plan`)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from ykgeo.ui.i18n.plan import PLAN_MESSAGES

__all__ = ["MESSAGES"]

#: Message id → (简体中文, English). Placeholders are ``str.format`` fields, the same in both.
MESSAGES: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        # --- app and menu ---
        "app.title": ("永康市国土空间项目进度", "Yongkang land and space projects: progress"),
        "page.overview": ("总览", "Overview"),
        "page.map": ("地图", "Map"),
        "page.edit": ("编辑", "Edit"),
        "page.import": ("导入", "Import"),
        "page.export": ("导出", "Export"),
        "page.brief": ("汇报", "Briefing"),
        # --- sidebar ---
        "shell.language": ("界面语言 / Language", "界面语言 / Language"),
        "shell.no_store": (
            "找不到项目库：{path}。请用 --store 指定，或先生成演示库（make demo）。",
            "Project store not found: {path}. Give one with --store, or build the demo store (make demo).",
        ),
        "shell.store": ("**项目库：** {name}", "**Store:** {name}"),
        "shell.as_of": ("数据截至日期", "Data as of"),
        "shell.as_of_help": (
            "所有页面按此日期显示：截至当天（含）已发生、且当时已记录的情况。",
            "Every page shows what had happened by the end of this day, as recorded by then.",
        ),
        "shell.no_users": (
            "未找到用户配置文件 {name}：所有访问者只读。",
            "Users file {name} not found: every visitor is read-only.",
        ),
        "shell.users_problem": (
            "{problem}：所有访问者只读。",
            "{problem}: every visitor is read-only.",
        ),
        "shell.knowledge": ("统计口径", "Records counted"),
        "shell.knowledge_help": (
            "按当时所知：只计截至日当天结束前已录入的记录（与当时的汇报一致）；"
            "按现在所知：也计之后补录、更正的记录。所有页面、地图、表格和导出都按同一口径。",
            "As known then: only what had been recorded by the end of the date (as reported then); "
            "as known now: also what was entered or corrected later. Every page, map, table and "
            "export counts the same records.",
        ),
        "knowledge.then": ("按当时所知", "As known then"),
        "knowledge.now": ("按现在所知", "As known now"),
        "knowledge.banner_then": (
            "有 {n} 条在 {as_of} 之后补录的修改未计入（按当时所知）。",
            "{n} change(s) recorded after {as_of} are not counted (as known then).",
        ),
        "knowledge.banner_now": (
            "按现在所知：已计入 {n} 条在 {as_of} 之后补录的修改。",
            "As known now: {n} change(s) recorded after {as_of} are counted.",
        ),
        "knowledge.switch_now": ("改为按现在所知", "Show as known now"),
        "knowledge.switch_then": ("改为按当时所知", "Show as known then"),
        "shell.current_user": ("**当前用户：** {user}", "**Signed in:** {user}"),
        "shell.sign_out": ("退出登录", "Sign out"),
        "shell.sign_in_title": ("**登录**（未登录为只读）", "**Sign in** (read-only until you do)"),
        "shell.user_name": ("用户名", "User name"),
        "shell.password": ("密码", "Password"),
        "shell.sign_in": ("登录", "Sign in"),
        "shell.bad_password": ("用户名或密码不正确", "Wrong user name or password"),
        "edit.kept": (
            "您的修改仍保留在表单中，稍后再点“保存修改”即可。",
            "Your edit is kept in the form: press Save changes again in a moment.",
        ),
        "write.kept": (
            "您填写的内容仍保留在页面上，稍后再试即可。",
            "What you entered is kept on the page: try again in a moment.",
        ),
        "account.removed": (
            "您的账号已从用户配置中移除（或登录已被结束），已退出登录。",
            "Your account was removed from the users file (or your session was ended): signed out.",
        ),
        "account.demoted": (
            "您的角色已改为{role}，编辑和导入已不可用。",
            "Your role is now {role}: editing and importing are no longer available.",
        ),
        "account.not_editor": (
            "未保存：您的账号现在没有编辑权限（用户配置已更改）。您的修改仍保留在表单中。",
            "Not saved: your account may no longer edit (the users file changed). Your edit is kept in the form.",
        ),
        "account.users_unsafe": ("{problem}", "{problem}"),
        # --- shared ---
        "common.all_townships": ("（全部镇街）", "(all townships)"),
        "common.layer": ("图层", "Layer"),
        "common.status": ("状态", "Status"),
        "common.township": ("镇街", "Township"),
        "common.all_statuses": ("全部状态", "All statuses"),
        "common.history": ("**变更记录**", "**Change history**"),
        "common.read_only_user": ("您当前为只读用户", "You are signed in read-only"),
        "common.not_signed_in": ("您尚未登录", "You are not signed in"),
        "common.no_plan": ("项目库中没有年度目标计划。", "The store has no annual target plan."),
        # --- edit log (feature history) ---
        "log.recorded_at": ("记录时间", "Recorded at"),
        "log.effective_date": ("发生日期", "Happened on"),
        "log.user": ("操作人", "User"),
        "log.action": ("操作", "Action"),
        "log.field": ("字段", "Field"),
        "log.old_value": ("原值", "Old value"),
        "log.new_value": ("新值", "New value"),
        "log.note": ("说明", "Note"),
        "log.source": ("来源", "Source"),
        "log.version": ("版本", "Version"),
        "log.action_insert": ("新增", "Added"),
        "log.action_update": ("修改", "Changed"),
        "log.action_delete": ("删除", "Deleted"),
        "log.whole_feature": ("（整条）", "(whole feature)"),
        "log.geometry": ("（几何）", "(geometry)"),
        # --- 总览 ---
        "overview.title": ("年度目标总览", "Annual targets overview"),
        "overview.no_plan": (
            "项目库中没有年度目标计划，无法统计进度。",
            "The store has no annual target plan: progress cannot be counted.",
        ),
        "overview.computing": ("正在计算进度……", "Computing progress…"),
        "overview.caption": (
            "{plan} · 截至 {as_of} · {version}",
            "{plan} · as of {as_of} · {version}",
        ),
        "overview.as_of_label": ("{month}月{day}日", "{month}/{day}"),
        "overview.done_pct": ("完成 {pct}%", "{pct}% done"),
        "overview.forecast": (
            " · 预计年末 {forecast}（{pct}%）",
            " · year-end forecast {forecast} ({pct}%)",
        ),
        "overview.pipeline": (
            "推进中 {in_progress} · 未启动 {not_started} · 按计划截至{as_of}应完成 {expected}",
            "in progress {in_progress} · not started {not_started} · due by {as_of} in the plan {expected}",
        ),
        "overview.drill_button": ("查看构成（{n} 个要素）", "Show the features ({n})"),
        "overview.drill_title": ("构成明细：{name}", "The features behind: {name}"),
        "overview.drill_as_of": ("截至 {as_of} · {n} 个要素", "As of {as_of} · {n} features"),
        "overview.gain": ("较 {since} {gain} {unit}", "{gain} {unit} since {since}"),
        "overview.summary": (
            "**绿 {green} · 黄 {amber} · 红 {red}** · 不评级 {none}",
            "**green {green} · amber {amber} · red {red}** · not rated {none}",
        ),
        "overview.summary_red": (" — 红：{names}", " — red: {names}"),
        "overview.since": ("对比日期", "Compare with"),
        "overview.since_help": (
            "选一个较早的日期（如上次汇报日）：每张卡片显示自该日以来的增加量，下方列出变化。",
            "An earlier date (the last briefing): each card shows the gain since then and the "
            "changes are listed below.",
        ),
        "overview.red_only": ("只看红色", "Red only"),
        "overview.no_red": ("没有评为红色的目标。", "No target is rated red."),
        "overview.plan_en": ("{year} annual plan", "{year} annual plan"),
        "overview.changes": ("变化（{since} → {as_of}）", "Changes ({since} → {as_of})"),
        "overview.no_changes": ("两个日期之间没有变化。", "Nothing changed between the two dates."),
        "overview.changes_file": ("变化_{since}_{as_of}", "changes_{since}_{as_of}"),
        "overview.township_file": ("各镇街进度_{as_of}", "townships_{as_of}"),
        "common.download_xlsx": ("下载 XLSX", "Download XLSX"),
        "overview.close": ("关闭", "Close"),
        "overview.townships": ("各镇街进度", "Progress by township"),
        "overview.no_township_targets": (
            "没有按镇街统计的目标。",
            "No target is counted by township.",
        ),
        "overview.township_legend": (
            "每个目标三列：完成量、完成率%（占该镇街分解目标）、预计%（预计年末完成量占分解目标）；"
            "底色为该镇街的评级（规则见上）：绿可完成、黄需关注、红难完成。点击列名可排序。",
            "Three columns per target: done, done % (of the township's share of the target) and "
            "forecast % (year-end forecast / share); the colour is the township's rating (rule "
            "above): green on track, amber watch, red at risk. Click a heading to sort.",
        ),
        "overview.monthly": ("逐月累计进度", "Cumulative progress by month"),
        "overview.target": ("目标", "Target"),
        "overview.no_monthly": ("暂无月度数据。", "No monthly data yet."),
        "overview.cumulative": ("累计完成", "Done (cumulative)"),
        "overview.milestone": ("计划里程碑", "Planned milestone"),
        "overview.brief_link": ("汇报简报（PDF）", "Briefing pack (PDF)"),
        "rating.green": ("绿：可完成", "Green: on track"),
        "rating.amber": ("黄：需关注", "Amber: needs attention"),
        "rating.red": ("红：难完成", "Red: at risk"),
        "rating.none": ("不评级", "Not rated"),
        "column.id": ("编号", "ID"),
        "column.name": ("名称", "Name"),
        "column.township": ("镇街", "Township"),
        "column.ledger_township": ("台账镇街", "Ledger township"),
        "column.status": ("状态", "Status"),
        "column.class": ("分类", "Class"),
        "column.status_date": ("状态日期", "Status date"),
        "column.planned_date": ("计划完成", "Planned"),
        "column.area_mu": ("面积（亩）", "Area (mu)"),
        "column.ledger_area_mu": ("台账面积（亩）", "Ledger area (mu)"),
        "column.amount": ("计入量", "Counted"),
        # --- 地图 ---
        "map.title": ("项目地图", "Project map"),
        "map.layers_placeholder": ("选择图层", "Choose layers"),
        "map.township": ("镇街（缩放并筛选）", "Township (zoom and filter)"),
        "map.basemap": ("底图", "Basemap"),
        "map.rasters": ("栅格叠加（影像证据）", "Raster overlays (evidence)"),
        "map.rasters_placeholder": ("不叠加栅格", "No raster"),
        "map.rasters_help": (
            "项目库旁 rasters/ 文件夹中的栅格（GeoTIFF）。所选栅格按显示投影重采样、着色后叠加在要素之下，"
            "可在地图右上角“图层”中开关，图例见地图右下角。",
            "The GeoTIFFs in the rasters/ folder beside the store. Each one chosen is reprojected "
            "for display, coloured and laid under the features; switch it in the map's layer "
            "control, its legend is at the bottom right.",
        ),
        "map.raster_unreadable": ("（无法读取）", "(unreadable)"),
        "map.preparing": ("正在准备地图……", "Preparing the map…"),
        "map.preparing_rasters": ("正在绘制栅格……", "Drawing the rasters…"),
        "map.raster_problem": (
            "栅格 {name} 无法叠加：{problem}",
            "Raster {name} cannot be shown: {problem}",
        ),
        "map.caption": (
            "截至 {as_of} · 显示要素 {shown} 个 · 底图：{basemap} · 镇街界线为示意",
            "As of {as_of} · {shown} features shown · basemap: {basemap} · township lines are illustrative",
        ),
        "map.caption_rasters": (" · 栅格 {n} 幅（{kb} KB）", " · {n} raster(s) ({kb} KB)"),
        "map.status_help": (
            "按各图层共同的三类状态筛选：未启动、推进中、已完成（含已供、建成、完工等各图层自己的完成状态）。",
            "Filter by the groups every layer's statuses fall in: not started, in progress, done "
            "(done includes each layer's own words: 已供, 建成, 完工 …).",
        ),
        "map.search": ("搜索", "Search"),
        "map.search_placeholder": (
            "地块编号、企业名称或项目名称",
            "Parcel ID, firm or project name",
        ),
        "map.search_none": ("没有找到。", "Nothing found."),
        "map.search_results": (
            "找到 {n} 个（选一个在地图上查看）",
            "{n} found (pick one to show it)",
        ),
        "map.search_pick": ("选择要素", "Choose a feature"),
        "map.measure_area": (
            "**测量结果：** 面积 {area} 亩 · 周长 {length} km",
            "**Measured:** area {area} mu · perimeter {length} km",
        ),
        "map.measure_line": ("**测量结果：** 长度 {length} km", "**Measured:** length {length} km"),
        "map.measure_note": (
            "按 CGCS2000 椭球计算（与台账、统计同一算法）。",
            "On the CGCS2000 ellipsoid (the same computation as the figures).",
        ),
        "map.printing": ("正在生成打印图……", "Printing the view…"),
        "map.print_ready": (
            "**打印当前视图**（含图例、比例尺、指北针、日期）",
            "**This view, printed** (legend, scale bar, north arrow, date)",
        ),
        "map.print_stem": ("地图", "map"),
        "map.print_title": ("{store} · 项目地图", "{store} · project map"),
        "map.print_subtitle": (
            "截至 {as_of}（{knowledge}）· {version} · 打印于 {printed}",
            "As of {as_of} ({knowledge}) · {version} · printed {printed}",
        ),
        "map.details": ("要素详情", "Feature details"),
        "map.click_hint": (
            "点击地图上的要素，在此查看其属性和变更记录。",
            "Click a feature on the map to see its fields and change history here.",
        ),
        "map.layer_missing": (
            "所选要素的图层不在本项目库中。",
            "The selected feature's layer is not in this store.",
        ),
        "map.feature_missing": (
            "截至 {as_of}，该图层中没有要素 {fid}。",
            "As of {as_of} the layer has no feature {fid}.",
        ),
        "map.field": ("字段", "Field"),
        "map.value": ("值", "Value"),
        "map.area_mu": ("面积（亩，椭球）", "Area (mu, ellipsoidal)"),
        "map.length_km": ("长度（km）", "Length (km)"),
        "map.version": ("版本 {version}", "Version {version}"),
        "map.edit_feature": ("编辑此要素", "Edit this feature"),
        "map.no_history": ("暂无记录", "No changes recorded"),
        # --- 编辑 ---
        "edit.title": ("编辑要素", "Edit features"),
        "edit.no_layers": ("项目库中没有可编辑的图层。", "The store has no editable layer."),
        "edit.search": ("搜索编号或名称", "Search ID or name"),
        "edit.no_match": ("没有匹配的要素", "No matching feature"),
        "edit.feature": ("要素", "Feature"),
        "edit.feature_first": ("要素（前 {n} 个匹配）", "Feature (first {n} matches)"),
        "edit.current": (
            "当前状态：{status} · 您看到的是第 {version} 版",
            "Current status: {status} · you are looking at version {version}",
        ),
        "edit.empty": ("（空）", "(empty)"),
        "edit.effective": (
            "变更发生日期（留空：按状态日期或今天）",
            "Date the change happened (empty: the status date, else today)",
        ),
        "edit.reason": ("修改说明（记入编辑日志）", "Reason (written to the edit log)"),
        "edit.save": ("保存修改", "Save changes"),
        "edit.nothing": ("没有需要保存的修改。", "Nothing to save."),
        "edit.saved": (
            "已保存 {fid} 的 {n} 项修改（第 {version} 版），操作人 {user}。",
            "Saved {n} change(s) to {fid} (version {version}) by {user}.",
        ),
        "edit.read_only": (
            "{who}：只有“编辑”角色的用户可以修改数据。请在左侧登录编辑账号。",
            "{who}: only users with the editor role may change data. Sign in as an editor on the left.",
        ),
        # --- 导入 ---
        "import.title": ("导入数据", "Import data"),
        "import.read_only": (
            "{who}：只有“编辑”角色的用户可以导入数据。",
            "{who}: only users with the editor role may import data.",
        ),
        "import.intro": (
            "支持 GeoPackage、Shapefile（zip 压缩）、GeoJSON、KML、XLSX/CSV（经纬度或 WKT 列），不超过 {limit} MB。"
            "先校验，全部通过后才能导入；导入要么全部写入，要么一条不写。",
            "GeoPackage, Shapefile (zipped), GeoJSON, KML, XLSX/CSV (lon/lat or WKT columns), up to {limit} MB. "
            "The file is checked first and imported only when it passes; an import writes everything or nothing.",
        ),
        "import.layer": ("导入到图层", "Import into layer"),
        "import.mode": ("导入方式", "Import mode"),
        "import.mode_upsert": (
            "更新已有、新增其余（按编号）",
            "Update existing, add the rest (by ID)",
        ),
        "import.mode_append": ("只新增（编号已存在则拒绝）", "Add only (refuse IDs that exist)"),
        "import.mode_replace": (
            "以文件为准（删除文件中没有的要素，须确认）",
            "Replace (delete features not in the file; asks for confirmation)",
        ),
        "import.replace_none": (
            "以文件为准：{layer} 中的要素都在文件里，不会删除任何要素。",
            "Replace: every feature of {layer} is in the file; nothing will be deleted.",
        ),
        "import.replace_warning": (
            "以文件为准导入将删除 {layer} 中不在文件里的 **{n}** 个要素（删除会记入编辑日志，可撤销）：",
            "Replacing will delete **{n}** features of {layer} that are not in the file (logged, can be undone):",
        ),
        "import.replace_more": ("……另有 {n} 个", "… and {n} more"),
        "import.replace_confirm": (
            "我已核对，确认删除以上 {n} 个要素",
            "I have checked: delete these {n} features",
        ),
        "import.file": ("选择文件", "Choose a file"),
        "import.repair": (
            "修复无效几何（make_valid，每处修复都会列出）",
            "Repair invalid geometries (make_valid; every repair is listed)",
        ),
        "import.check": ("校验", "Check"),
        "import.report": ("校验报告：{name} → {layer}", "Check report: {name} → {layer}"),
        "import.features": ("要素", "Features"),
        "import.errors": ("错误", "Errors"),
        "import.warnings": ("警告", "Warnings"),
        "import.refused": (
            "有 {n} 个错误，不能导入。请修改文件后重新上传校验。项目库未作任何修改。",
            "{n} error(s): the file cannot be imported. Fix it and upload it again. The store is unchanged.",
        ),
        "import.clear": ("清除报告", "Clear the report"),
        "import.passed": (
            "校验通过：{n} 个要素可以导入到 {layer}。",
            "Check passed: {n} features can be imported into {layer}.",
        ),
        "import.cancel": ("取消", "Cancel"),
        "import.go": ("导入到项目库", "Import into the store"),
        "import.failed": (
            "导入失败，项目库未作任何修改：{problem}",
            "Import failed, the store is unchanged: {problem}",
        ),
        "import.done": (
            "已导入 {name}：新增 {added}，更新 {updated}，未变 {unchanged}（{version}）。",
            "Imported {name}: {added} added, {updated} updated, {unchanged} unchanged ({version}).",
        ),
        "import.done_removed": (
            "已删除 {removed} 个不在文件中的要素；如需撤销：ykgeo revert {batch}",
            "Deleted {removed} features not in the file; to undo: ykgeo revert {batch}",
        ),
        "import.data_version": ("数据版本 v{version}", "data version v{version}"),
        "import.read_options": (
            "读取方式：坐标系、文字编码、图层（默认按文件判断）",
            "How to read the file: coordinate system, text encoding, layer (default: from the file)",
        ),
        "import.crs": ("坐标系", "Coordinate system"),
        "import.crs_auto": (
            "自动（按 .prj 或文件内的定义）",
            "Automatic (from the .prj or the file)",
        ),
        "import.crs_other": (
            "其他：EPSG 代码或名称（如 4549、CGCS2000 GK CM120）",
            "Other: EPSG code or name (e.g. 4549, CGCS2000 GK CM120)",
        ),
        "import.encoding": ("文字编码", "Text encoding"),
        "import.auto": ("自动（按 .cpg 和内容判断）", "Automatic (from the .cpg and the bytes)"),
        "import.file_layer": ("图层（文件内）", "Layer (in the file)"),
        "import.use_crs": ("改用 {crs} 重新校验", "Check again as {crs}"),
        "import.file_problem": ("文件无法读取：", "The file cannot be read:"),
        "import.unexpected": (
            "校验 {name} 时发生意外错误（{kind}），未作任何修改；详情已写入日志，请把文件交给维护人员。",
            "An unexpected error ({kind}) occurred while checking {name}; nothing was changed. "
            "The details are in the log; please pass the file to the maintainers.",
        ),
        # --- 导出 ---
        "export.title": ("导出数据", "Export data"),
        "export.empty_store": ("项目库是空的。", "The store is empty."),
        "export.features": ("要素（当前选择）", "Features (current selection)"),
        "export.format": ("格式", "Format"),
        "export.format_geojson": (
            "GeoJSON（RFC 7946，WGS84 经纬度）",
            "GeoJSON (RFC 7946, WGS84 lon/lat)",
        ),
        "export.format_gpkg": ("GeoPackage", "GeoPackage"),
        "export.format_shp_utf8": ("Shapefile（zip，UTF-8）", "Shapefile (zip, UTF-8)"),
        "export.format_shp_gbk": (
            "Shapefile（zip，GBK，旧版 ArcGIS）",
            "Shapefile (zip, GBK, older ArcGIS)",
        ),
        "export.format_kml": (
            "KML（奥维互动地图 / Google Earth，按状态着色）",
            "KML (Ovital / Google Earth, coloured by status)",
        ),
        "export.crs": ("坐标系", "Coordinate system"),
        "export.crs_help": (
            "GeoPackage 和 Shapefile 可选 CGCS2000 经纬度（EPSG:4490）或 3° 高斯-克吕格 CM 120°E（EPSG:4549，米）；"
            "GeoJSON 和 KML 按规范只能用经纬度。",
            "GeoPackage and Shapefile: CGCS2000 longitude/latitude (EPSG:4490) or 3° Gauss–Krüger "
            "CM 120°E (EPSG:4549, metres); GeoJSON and KML are longitude/latitude by definition.",
        ),
        "export.crs_4490": ("CGCS2000 经纬度（EPSG:4490）", "CGCS2000 lon/lat (EPSG:4490)"),
        "export.crs_4549": (
            "CGCS2000 高斯-克吕格 CM 120°E（EPSG:4549）",
            "CGCS2000 GK CM 120°E (EPSG:4549)",
        ),
        "export.area_mu": ("加面积（亩）列", "Add an area (mu) column"),
        "export.area_mu_help": (
            "每个面要素按 CGCS2000 椭球计算的面积（亩，2 位小数），与统计一致。",
            "Each polygon's ellipsoidal area on CGCS2000 (mu, 2 decimals), as the figures count it.",
        ),
        "export.selection": (
            "截至 {as_of}，当前选择 {n} 个要素。",
            "As of {as_of}: {n} features selected.",
        ),
        "export.nothing": (
            "当前选择没有要素，无法导出。",
            "The selection is empty: nothing to export.",
        ),
        "export.too_many": (
            "一次最多导出 {n} 个要素，请缩小选择。",
            "At most {n} features can be exported at once: narrow the selection.",
        ),
        "export.download": (
            "下载 {name}（{n} 个要素，{kb} KB）",
            "Download {name} ({n} features, {kb} KB)",
        ),
        "export.progress": ("进度表（Excel）", "Progress tables (Excel)"),
        "export.make_xlsx": ("生成进度表", "Make the progress tables"),
        "export.making_xlsx": ("正在生成 Excel……", "Writing the Excel file…"),
        "export.download_xlsx": ("下载 进度_{day}.xlsx", "Download progress_{day}.xlsx"),
        "export.making": ("正在生成文件……", "Writing the file…"),
        # --- 汇报 ---
        "brief.title": ("汇报简报", "Briefing pack"),
        "brief.intro": (
            "会议用进展简报（PDF，横向 A4）：封面、目标总览、分目标地图、镇街图册、变化情况、数据问题和要素清单。"
            "数字与总览页同日同版本一致；中文字体已嵌入，离线可读。",
            "A briefing pack for progress meetings (PDF, landscape A4): cover, targets, a map per "
            "target, township atlas, changes, data problems and the features behind every figure. "
            "The figures are the overview's for the same date and data version; the Chinese font "
            "is embedded.",
        ),
        "brief.as_of": (
            "统计日：{as_of}（左侧“数据截至日期”）",
            "Date of the figures: {as_of} (“Data as of” on the left)",
        ),
        "brief.knowledge.then": (
            "简报按当时所知统计（统计日当天结束前已录入的记录），与左侧的选择一致；事后重做，结果不变。",
            "The pack counts what had been recorded by the end of the date (as known then), as the "
            "choice on the left; made again later, it is the same pack.",
        ),
        "brief.knowledge.now": (
            "简报按现在所知统计（含统计日之后补录的更正），与左侧的选择一致；封面注明截至的录入时间。",
            "The pack counts everything recorded so far (as known now, late corrections included), "
            "as the choice on the left; the cover gives the moment.",
        ),
        "brief.scope": ("范围", "Scope"),
        "brief.whole_city": ("全市", "Whole city"),
        "brief.since": (
            "列出自该日以来的变化（可选，上次简报日期）",
            "List the changes since (optional: the last briefing)",
        ),
        "brief.make": ("生成简报", "Make the briefing pack"),
        "brief.making": (
            "正在生成简报（全市约需 5–10 秒）……",
            "Making the briefing pack (5–10 s for the whole city)…",
        ),
        "brief.ready": (
            "简报已生成：{kb} KB，用时 {seconds} 秒。",
            "The briefing pack is ready: {kb} KB, made in {seconds} s.",
        ),
        "brief.download": ("下载 {name}", "Download {name}"),
        "brief.file_stem": ("进展简报", "briefing"),
        "brief.stale": (
            "条件已改变，请重新生成。",
            "The choices have changed: make the pack again.",
        ),
        **PLAN_MESSAGES,
    }
)
