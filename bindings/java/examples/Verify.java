import dev.licet.Licet;
import dev.licet.Report;
import dev.licet.TrustedKeys;
import dev.licet.VerifyOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

/** Verifies a license file: java -cp licet.jar:. Verify KEY.pub.pem LICENSE.lic */
public final class Verify {
    public static void main(String[] args) throws Exception {
        Path keyFile = Path.of(args.length > 0 ? args[0] : "keys/demo-ed25519.pub.pem");
        Path licenseFile = Path.of(args.length > 1 ? args[1] : "crates/verifier/testdata/demo.lic");

        try (TrustedKeys keys = TrustedKeys.fromFiles(keyFile)) {
            VerifyOptions options = VerifyOptions.builder()
                    .at(Instant.parse("2026-06-01T00:00:00Z")) // leave out to check at "now"
                    .build();
            Report report = Licet.verify(Files.readAllBytes(licenseFile), keys, options);

            System.out.println(report.status() + ": " + report.reason());
            if (report.valid()) {
                System.out.println("license " + report.licenseId().orElse("?")
                        + " for customer " + report.customerId().orElse("?")
                        + ", expires " + report.expiresAt().map(Instant::toString).orElse("never"));
            }
            System.exit(report.valid() ? 0 : 1);
        }
    }
}
