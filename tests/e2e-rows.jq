# One Markdown table row per variant of a verify.json (tests/e2e.sh).
# Guest text is escaped for the table: a '|' or newline would split a cell.
def cell: tostring | gsub("[|\n\r]"; " ");
.case as $case | .variants[] |
[$case, .variant,
 (.kernel + (if .series != "" then " + " + (.series | sub("^patches/"; "")) else "" end)),
 .expect,
 .tally.verdict,
 "\(.tally.hits)/\(.tally.valid) (\((.tally.ci95[0] * 100) | floor)-\((.tally.ci95[1] * 100) | ceil)%)",
 ((.seconds_per_run * 10 | round) / 10),
 (if .matches then "yes" else "**no**: " + (.reason | .[0:120]) end)]
| map(cell) | "| " + join(" | ") + " |"
