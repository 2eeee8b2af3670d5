//! Reads every fixture in a folder with `p12` 0.6.3 and `p12-keystore` 0.4.1 and prints a table.
fn main() {
    let dir = std::env::args().nth(1).expect("usage: compare-p12-crates FIXTURE_DIR");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("readable folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("p12" | "pfx")))
        .collect();
    paths.sort();
    for path in paths {
        let pass = std::fs::read_to_string(path.with_extension("pass")).unwrap_or_default();
        let der = std::fs::read(&path).expect("readable file");
        let old = match p12::PFX::parse(&der) {
            Ok(pfx) => match pfx.key_bags(&pass) {
                Ok(keys) if !keys.is_empty() => "reads the key".to_owned(),
                Ok(_) => "no key".to_owned(),
                Err(e) => format!("error: {e:?}"),
            },
            Err(e) => format!("parse error: {e:?}"),
        };
        let new = match p12_keystore::Pkcs12Archive::from_pkcs12(&der, &pass) {
            Ok(a) if !a.keys.is_empty() => "reads the key".to_owned(),
            Ok(_) => "no key".to_owned(),
            Err(e) => format!("error: {e}"),
        };
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        println!("{name:30} | p12 0.6.3: {:40.40} | p12-keystore 0.4.1: {new:.50}", old);
    }
}
