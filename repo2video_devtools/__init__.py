"""Development tools: benchmark, reliability runner, sample repositories.

Not part of the installed product; run from the checkout (`make bench`,
`make bench-throughput`, `make check-reliability`)."""
