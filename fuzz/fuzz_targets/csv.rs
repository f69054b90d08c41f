//! The CSV loader (plain and gzip) with its option combinations.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tapegrad::data::CsvOptions;

fuzz_target!(|data: &[u8]| {
    for options in [CsvOptions::new(), CsvOptions::new().header(true), CsvOptions::new().label_column(0)] {
        let _ = options.read::<f32>(data, "fuzz.csv");
    }
    let _ = CsvOptions::new().read::<f64>(data, "fuzz.csv");
    let tabular = CsvOptions::new()
        .header(true)
        .target("species")
        .categorical(["species", "island", "sex"])
        .missing(["NA"])
        .comment(b'#');
    let _ = tabular.read::<f64>(data, "fuzz.csv");
    let _ = CsvOptions::new().count_line(true).read::<f32>(data, "fuzz.csv");
    let _ = CsvOptions::new().header(true).targets([1, 0]).read_regression::<f32>(data, "fuzz.csv");
    let _ = CsvOptions::new().skip_rows(1).delimiter(b' ').categorical([0]).read::<f32>(data, "fuzz.csv");
});
