"""The benchmark suite: ``make bench`` or ``python -m bench.run [--only S1,S3] [--quick]``.

Every scenario measures the engine side by side with a reference in one run
and reports ratios, which hold on a shared 2-core machine where absolute
times do not. See bench/README.md.
"""
