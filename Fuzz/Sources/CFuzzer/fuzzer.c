// Only the header matters; libFuzzer itself comes from -sanitize=fuzzer.
