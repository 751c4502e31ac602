//! The page skeleton every report shares: head, style, and the script a headless browser
//! test reads.

/// Fonts the browser should try for Chinese labels before its default sans-serif.
const FONTS: &str = "\"Noto Sans CJK SC\", \"Noto Sans SC\", \"Source Han Sans SC\", \
\"WenQuanYi Micro Hei\", \"Microsoft YaHei\", \"PingFang SC\", \"Hiragino Sans GB\", sans-serif";

pub(crate) fn page(title: &str, charts: usize, body: &str) -> String {
    // The head script turns any page error into the title; the last script checks that
    // every chart rendered. A headless browser test reads the title ("ok").
    format!(
        r#"<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<script>window.onerror = function (m) {{ document.title = "page-fail: " + m; }};</script>
<style>
body {{ font-family: {FONTS}; margin: 1.5em auto; max-width: 1100px; color: #222; padding: 0 1em; }}
svg text {{ font-family: {FONTS}; }}
h1 {{ font-size: 1.5em; }} h2 {{ font-size: 1.2em; margin-top: 1.6em; border-bottom: 1px solid #ccc; }}
.sub {{ color: #555; }}
figure {{ margin: 1em 0; }} figure svg {{ max-width: 100%; height: auto; display: block; }}
table {{ border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; }}
th, td {{ border: 1px solid #ddd; padding: 2px 6px; }} td.n {{ text-align: right; font-variant-numeric: tabular-nums; }}
th {{ background: #f3f3f3; }} tr.g td {{ background: #f8f8f8; font-weight: bold; }}
</style></head>
<body data-charts="{charts}">
{body}
<script>
(function () {{
  var want = parseInt(document.body.getAttribute("data-charts"), 10);
  var got = document.querySelectorAll("figure.chart svg").length;
  if (document.title.indexOf("page-fail") === 0) return;
  document.title = got === want ? "ok" : "charts-missing: " + got + " of " + want;
}})();
</script>
</body></html>
"#,
        title = esc(title),
    )
}

pub(crate) fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
