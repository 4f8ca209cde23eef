"""``qanalysis deliveries``: list the kept deliveries (报送数据), check them (``--verify``) or remove one."""
from __future__ import annotations

from .. import config
from ..data.deliveries import kept, plan_folder, remove, verify
from ..data.prepare import prepare, summary
from ..errors import printable
from ..plan.catalogue import read_plan_info


def configure_parser(parser) -> None:
    parser.add_argument("--remove", metavar="ID", default=None,
                        help="remove this delivery (then run `qanalysis prepare`)")
    parser.add_argument("--verify", action="store_true",
                        help="check every kept file against its recorded sha256; exit 1 if one changed or is missing")
    parser.add_argument("--prepare", action="store_true",
                        help="with --remove: prepare the processed data again right away")


def run(args) -> int:
    info = read_plan_info(config.plan_dir(getattr(args, "plan", None)))
    if args.remove:
        d = remove(info.id, args.remove)
        if d is None:
            print(f"removed delivery {args.remove} (its record was unreadable) / 已删除报送 {args.remove}")
        else:
            print(printable(f"removed delivery {d.id} ({d.name}, {d.values} values, kept {d.kept_at}) / 已删除报送 {d.id}"))
        if args.prepare:
            data, path = prepare(getattr(args, "plan", None))
            print(summary(data))
            print(f"written: {path}")
        else:
            print("run `qanalysis prepare` to rebuild the processed data without it / "
                  "请运行 qanalysis prepare 重建已处理数据")
        return 0
    if args.verify:
        checked = verify(info.id)
        for did, folder, wrong in checked:
            print(printable(f"{did:<5} {'ok' if wrong is None else 'BROKEN: ' + wrong}  ({folder})"))
        bad = [c for c in checked if c[2]]
        if bad:
            print(f"{len(bad)} of {len(checked)} deliveries broken: remove each with "
                  f"`qanalysis deliveries --remove ID` and deliver the file again / 报送数据已损坏")
            return 1
        print(f"{len(checked)} deliveries checked, every kept file as recorded / 报送数据完好")
        return 0
    items = kept(info.id)
    where = plan_folder(info.id)
    if not items:
        print(f"no deliveries kept for {info.id} (folder {where}) / 尚无报送数据")
        return 0
    print(f"deliveries of {info.id} ({where}), applied in this order; a later one wins year by year:")
    print(f"{'id':<5} {'kept (UTC)':<26} {'values':>6}  {'sha256':<12}  file")
    for d in items:
        print(printable(f"{d.id:<5} {d.kept_at:<26} {d.values:>6}  {d.sha256[:12]}  {d.name}"))
    return 0
