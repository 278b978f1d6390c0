"""The OWASP-equivalent Argon2id settings side by side: `make bench-argon2`.

The OWASP Password Storage Cheat Sheet (which ASVS 5.0 refers to for parameters) lists five
Argon2id settings that give the same defence, trading memory for passes: m = 46 MiB t = 1,
19 MiB t = 2, 12 MiB t = 3, 9 MiB t = 4, 7 MiB t = 5 (p = 1). For each, interleaved round by
round (A B C … then … C B A), this prints one process's verification time and the rate of as
many processes as cores verifying at once. Their ratio to cores ÷ time is how much of the
password-hash bound of issue 12 the hash itself can reach on this machine: a setting whose
memory outgrows the caches the cores share loses some of it to memory bandwidth.
"""

import argparse
import multiprocessing
import os
import statistics
import time
from dataclasses import dataclass

import argon2

PASSWORD = "bench-password-2568"  # noqa: S105
OWASP = [(46, 1), (19, 2), (12, 3), (9, 4), (7, 5)]  # (MiB, passes)


@dataclass(frozen=True)
class Setting:
    mib: int
    passes: int

    def hasher(self) -> argon2.PasswordHasher:
        return argon2.PasswordHasher(
            time_cost=self.passes, memory_cost=self.mib * 1024, parallelism=1
        )

    def __str__(self) -> str:
        return f"m = {self.mib} MiB, t = {self.passes}"


def _verify_for(setting: Setting, seconds: float, results: "multiprocessing.Queue[int]") -> None:
    hasher = setting.hasher()
    encoded = hasher.hash(PASSWORD)
    hasher.verify(encoded, PASSWORD)  # warm
    count, end = 0, time.perf_counter() + seconds
    while time.perf_counter() < end:
        hasher.verify(encoded, PASSWORD)
        count += 1
    results.put(count)


def rate(setting: Setting, processes: int, seconds: float) -> float:
    """Verifications per second of `processes` processes verifying for `seconds` at once."""
    context = multiprocessing.get_context("fork")
    results: multiprocessing.Queue[int] = context.Queue()
    workers = [
        context.Process(target=_verify_for, args=(setting, seconds, results))
        for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    done = sum(results.get(timeout=seconds * 10 + 30) for _ in workers)
    for worker in workers:
        worker.join()
    return done / seconds


def single_ms(setting: Setting, samples: int = 15) -> float:
    hasher = setting.hasher()
    encoded = hasher.hash(PASSWORD)
    hasher.verify(encoded, PASSWORD)
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        hasher.verify(encoded, PASSWORD)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=2, help="each reversed (default 2)")
    parser.add_argument("--seconds", type=float, default=5.0, help="per parallel run")
    args = parser.parse_args()
    cores = os.cpu_count() or 2
    settings = [Setting(mib, passes) for mib, passes in OWASP]
    times: dict[Setting, list[float]] = {s: [] for s in settings}
    rates: dict[Setting, list[float]] = {s: [] for s in settings}
    for round_ in range(args.rounds):
        for setting in settings if round_ % 2 == 0 else settings[::-1]:
            times[setting].append(single_ms(setting))
            rates[setting].append(rate(setting, cores, args.seconds))
            print(
                f"  round {round_ + 1} {setting}: {times[setting][-1]:.1f} ms, "
                f"{rates[setting][-1]:.1f}/s with {cores} processes",
                flush=True,
            )
    print(
        f"\n| setting | one verification | bound ({cores} ÷ time) | {cores} processes at once | of the bound |"
    )
    print("| --- | ---: | ---: | ---: | ---: |")
    for setting in settings:
        ms = statistics.mean(times[setting])
        bound = cores * 1000 / ms
        parallel = statistics.mean(rates[setting])
        print(
            f"| {setting} | {ms:.1f} ms | {bound:.1f}/s | {parallel:.1f}/s | {parallel / bound:.2f} |"
        )


if __name__ == "__main__":
    main()
