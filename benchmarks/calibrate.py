"""`calibrate`: calibrating the default policy to Gold 60–75 / Silver 200–250.

Target (R3, docs/tiers.md): on 100,000 partners, under 2 s once the partners are evaluated.
The time of the evaluation itself (the measuring query) is reported beside it.
"""

from __future__ import annotations

import datetime as dt

from common import dataset_benchmark, emit, peak_rss_mib, timed

AS_OF = dt.date(2026, 7, 1)


def main() -> None:
    scale, runs, database = dataset_benchmark(__doc__ or "")

    from channeldesk.tiers.calibration import tiers_calibrate
    from channeldesk.tiers.evaluation import tiers_evaluate
    from channeldesk.tiers.selectors import policy_get

    policy = policy_get(reference="default@1")
    # Targets scaled to the dataset: the seed's figures are for ~940 partners.
    factor = scale.partners / 940
    targets = {
        "gold": (round(60 * factor), round(75 * factor)),
        "silver": (round(200 * factor), round(250 * factor)),
    }
    common = {"scale": scale.name, "database": database, "runs": runs, "partners": scale.partners}
    evaluate, evaluation = timed(lambda: tiers_evaluate(policy=policy, as_of=AS_OF), runs)
    calibrate, result = timed(
        lambda: tiers_calibrate(
            policy=policy, as_of=AS_OF, targets=targets, save=False, evaluation=evaluation
        ),
        runs,
    )
    emit(
        "calibrate.after_evaluation",
        calibrate,
        "s",
        target="< 2",
        met=result.is_met,
        counts=result.counts,
        targets={k: list(v) for k, v in targets.items()},
        evaluation_seconds=round(evaluate, 4),
        **common,
    )
    emit("calibrate.peak_rss", peak_rss_mib(), "MiB", **common)


if __name__ == "__main__":
    main()
