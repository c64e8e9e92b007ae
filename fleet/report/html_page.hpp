// What every HTML page lampi-fleet writes shares: one self-contained file (inline CSS, no
// scripts, system fonts only: a webfont would be a network fetch, or megabytes inlined),
// the same page frame and the same base look; each page adds its own rules.
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>

namespace lampi::fleet {

inline constexpr std::string_view kPageBaseCss = R"css(
*{box-sizing:border-box}
body{margin:0;background:#f3f5f7;color:#1f2328;
  font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",Arial,sans-serif}
main{max-width:1200px;margin:0 auto;padding:28px 32px 40px}
h1{margin:0;font-size:26px}
h2{margin:0 0 12px;font-size:17px}
th:first-child,td:first-child{text-align:left}
)css";

// The page up to its <main>: `title` already escaped, `page_css` the page's own rules.
inline std::string html_page_start(std::string_view title, std::string_view page_css) {
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>{}</title><style>{}{}</style></head><body><main>",
      title, kPageBaseCss, page_css);
}

}  // namespace lampi::fleet
