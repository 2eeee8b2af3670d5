#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| licet_fuzz_targets::usage_report(data));
