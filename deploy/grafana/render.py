#!/usr/bin/env python3
"""Plots the Grafana dashboard's panels from a Prometheus, for the docs (no Grafana needed).

    render.py PROMETHEUS_URL deploy/grafana/connmon.json OUT.png [--minutes N] [--instance REGEX]

Every time series, stat and gauge panel of the dashboard becomes one small plot of its queries over the last
N minutes (default 5; the 8 highest series of a panel), with $instance and $__rate_interval substituted; the "Who listens where" table is
drawn as text. Needs python3-matplotlib.
"""
import argparse
import json
import time
import urllib.parse
import urllib.request

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("prometheus")
p.add_argument("dashboard")
p.add_argument("out")
p.add_argument("--minutes", type=float, default=5)
p.add_argument("--instance", default=".*")
p.add_argument("--rate-interval", default="30s")
args = p.parse_args()


def api(path, **params):
    url = f"{args.prometheus}/api/v1/{path}?{urllib.parse.urlencode(params)}"
    with urllib.request.urlopen(url, timeout=30) as r:
        body = json.load(r)
    if body.get("status") != "success":
        raise SystemExit(f"{url}: {body}")
    return body["data"]["result"]


def expand(expr):
    return expr.replace("$__rate_interval", args.rate_interval).replace("$instance", args.instance)


def legend(fmt, labels):
    out = fmt or "{{__name__}}"
    for k, v in labels.items():
        out = out.replace("{{" + k + "}}", v)
    while "{{" in out:
        a = out.index("{{")
        b = out.index("}}", a)
        out = out[:a] + out[b + 2:]
    return out.strip() or "value"


dash = json.load(open(args.dashboard))
panels = [q for q in dash["panels"] if q.get("type") in ("timeseries", "stat", "gauge", "table")]
end = time.time()
start = end - args.minutes * 60
step = max(1, int(args.minutes * 60 / 150))

cols = 4
rows = (len(panels) + cols - 1) // cols
fig, axes = plt.subplots(rows, cols, figsize=(cols * 5.2, rows * 3.1))
for ax, panel in zip(axes.flat, panels):
    ax.set_title(panel["title"], fontsize=9, loc="left")
    ax.tick_params(labelsize=7)
    if panel["type"] == "table":
        result = api("query", query=expand(panel["targets"][0]["expr"]), time=end)
        lines = sorted(f'{r["metric"].get("protocol", "")} {r["metric"].get("address", "")}:{r["metric"].get("port", "")}'
                       f' {r["metric"].get("process", "")}' for r in result)
        ax.axis("off")
        ax.text(0, 1, "\n".join(lines[:14]) + ("\n..." if len(lines) > 14 else ""), va="top", family="monospace", fontsize=7)
        continue
    unit = panel.get("fieldConfig", {}).get("defaults", {}).get("unit", "")
    lines = []
    for t in panel["targets"]:
        for r in api("query_range", query=expand(t["expr"]), start=start, end=end, step=step):
            xs = [(float(v[0]) - end) / 60 for v in r["values"]]
            ys = [float(v[1]) for v in r["values"]]
            if unit == "bytes":
                ys = [y / 2**20 for y in ys]
            lines.append((max(ys), xs, ys, legend(t.get("legendFormat"), r["metric"])[:32]))
    # The 8 series that reach highest, as Grafana's legend sorted by max would show first.
    lines.sort(key=lambda line: -line[0])
    for _, xs, ys, label in lines[:8]:
        ax.plot(xs, ys, linewidth=1, label=label)
    series = len(lines)
    if series > 8:
        ax.text(0.99, 0.98, f"top 8 of {series}", ha="right", va="top", transform=ax.transAxes, fontsize=6, color="gray")
    if unit == "bytes":
        ax.set_ylabel("MiB", fontsize=7)
    elif unit:
        ax.set_ylabel(unit, fontsize=7)
    ax.set_xlabel("minutes", fontsize=7)
    if series:
        ax.legend(fontsize=6, loc="upper left")
    else:
        ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes, fontsize=8, color="gray")
for ax in list(axes.flat)[len(panels):]:
    ax.axis("off")
fig.suptitle(f'{dash["title"]}: the panels\' queries, {args.minutes:g} minutes of a real Prometheus scraping connmon',
             fontsize=11)
fig.tight_layout(rect=(0, 0, 1, 0.985))
fig.savefig(args.out, dpi=80)
print(args.out)
