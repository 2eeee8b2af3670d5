import dev.licet.Guard;
import dev.licet.Report;
import dev.licet.RevocationList;
import dev.licet.StateException;
import dev.licet.TrustedKeys;
import dev.licet.VerifyOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * The stateful check: java -cp licet.jar:. Stateful STATE_DIR KEY.pub.pem LICENSE.lic [LIST.jwt...]
 * The state directory remembers the latest time seen and every revocation list accepted.
 */
public final class Stateful {
    public static void main(String[] args) throws Exception {
        Path stateDir = Path.of(args.length > 0 ? args[0] : "licet-state");
        Path keyFile = Path.of(args.length > 1 ? args[1] : "keys/demo-ed25519.pub.pem");
        Path licenseFile = Path.of(args.length > 2 ? args[2] : "crates/verifier/testdata/demo.lic");
        List<RevocationList> lists = new java.util.ArrayList<>();
        for (int i = 3; i < args.length; i++) {
            lists.add(RevocationList.fromFile(Path.of(args[i])));
        }

        try (TrustedKeys keys = TrustedKeys.fromFiles(keyFile);
                Guard guard = Guard.open(stateDir, keys)) {
            VerifyOptions options = VerifyOptions.builder()
                    .at(Instant.parse("2026-06-01T00:00:00Z")) // leave out to check at "now"
                    .build();
            Report report = guard.check(Files.readAllBytes(licenseFile), lists, options);

            System.out.println(report.status() + ": " + report.reason());
            report.lists().forEach(l -> System.out.println("  list " + l.source() + ": "
                    + l.status() + ", " + l.reason()));
            System.out.println("revocation lists enforced: " + report.listsEnforced());
            System.exit(report.passed() ? 0 : 1);
        } catch (StateException e) {
            // The state cannot be used (corrupt, newer format, busy, I/O): not a verdict.
            System.err.println("state error (" + e.code() + "): " + e.getMessage());
            System.exit(2);
        }
    }
}
