package dev.licet.test;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.licet.Guard;
import dev.licet.LeaseReport;
import dev.licet.Licet;
import dev.licet.ListReport;
import dev.licet.ListStatus;
import dev.licet.Report;
import dev.licet.RevocationList;
import dev.licet.Status;
import dev.licet.TrustedKeys;
import dev.licet.VerifyOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The conformance runner: every case and step of fixtures/conformance/cases.json (or the file
 * named by LICET_CONFORMANCE_CASES; its paths are relative to its own directory) through the
 * jar, every {@code expect} field compared (fixtures/conformance/README.md).
 */
final class Conformance {
    private Conformance() {}

    /** Runs the corpus; returns the disagreements (empty when all agree). */
    static List<String> run(Path casesFile) throws IOException {
        Path dir = casesFile.toAbsolutePath().getParent();
        JsonObject root = JsonParser.parseString(
                new String(Files.readAllBytes(casesFile), StandardCharsets.UTF_8)).getAsJsonObject();
        List<String> failures = new ArrayList<>();
        if (root.get("format").getAsInt() != 1) {
            failures.add("cases.json has format " + root.get("format") + ", this runner reads 1");
            return failures;
        }
        JsonArray cases = root.getAsJsonArray("cases");
        int steps = 0;
        for (JsonElement c : cases) {
            JsonObject kase = c.getAsJsonObject();
            String name = kase.get("name").getAsString();
            byte[] license = Files.readAllBytes(dir.resolve(kase.get("license").getAsString()));
            List<Path> trusted = new ArrayList<>();
            for (JsonElement k : kase.getAsJsonArray("trusted")) {
                trusted.add(dir.resolve(k.getAsString()));
            }
            List<Path> rollovers = new ArrayList<>();
            for (JsonElement r : kase.getAsJsonArray("rollovers")) {
                rollovers.add(dir.resolve(r.getAsString()));
            }
            long tolerance = kase.get("clock_tolerance").getAsLong();
            boolean stateful = kase.get("state").getAsBoolean();
            Path stateDir = stateful ? Files.createTempDirectory("licet-conformance-") : null;
            try (TrustedKeys given = TrustedKeys.fromFiles(trusted);
                    TrustedKeys keys = given.withRolloverFiles(rollovers);
                    Guard guard = stateful
                            ? Guard.open(stateDir, keys, Duration.ofSeconds(tolerance), null)
                            : null) {
                JsonArray stepList = kase.getAsJsonArray("steps");
                for (int i = 0; i < stepList.size(); i++) {
                    JsonObject step = stepList.get(i).getAsJsonObject();
                    List<RevocationList> lists = new ArrayList<>();
                    for (JsonElement l : step.getAsJsonArray("lists")) {
                        lists.add(RevocationList.of(l.getAsString(),
                                Files.readAllBytes(dir.resolve(l.getAsString()))));
                    }
                    VerifyOptions.Builder options = VerifyOptions.builder()
                            .at(Instant.ofEpochSecond(step.get("at").getAsLong()))
                            .leeway(step.get("leeway").getAsLong())
                            .clockTolerance(tolerance);
                    if (!step.get("machine").isJsonNull()) {
                        options.machine(step.get("machine").getAsString());
                    }
                    if (!step.get("product").isJsonNull()) {
                        options.product(step.get("product").getAsString());
                    }
                    Report report = guard != null
                            ? guard.check(license, lists, options.build())
                            : Licet.check(license, keys, lists, options.build());
                    JsonElement expected = step.get("expect");
                    JsonElement got = observed(report);
                    if (!got.equals(expected)) {
                        failures.add("case " + name + ", step " + i + ": expected " + expected
                                + "\n  got " + got + "\n  reason: " + report.reason());
                    }
                    // The enums know every status the corpus uses (UNKNOWN is for newer ones).
                    if (report.status() == Status.UNKNOWN) {
                        failures.add("case " + name + ", step " + i + ": status "
                                + report.statusName() + " is missing from dev.licet.Status");
                    }
                    for (ListReport l : report.lists()) {
                        if (l.status() == ListStatus.UNKNOWN) {
                            failures.add("case " + name + ", step " + i + ": list status "
                                    + l.statusName() + " is missing from dev.licet.ListStatus");
                        }
                    }
                    steps++;
                }
            } catch (RuntimeException e) {
                failures.add("case " + name + ": " + e);
            } finally {
                if (stateDir != null) {
                    Main.deleteTree(stateDir);
                }
            }
        }
        System.out.println("conformance: " + casesFile + ": " + cases.size() + " cases, " + steps
                + " steps, " + failures.size() + " disagree");
        if (cases.size() == 0 || steps == 0) {
            failures.add("no case ran");
        }
        return failures;
    }

    /**
     * The lease runner: every case of fixtures/conformance/leases.json (or the file named by
     * LICET_CONFORMANCE_LEASES) through {@link Licet#checkLease}, every {@code expect} field
     * compared.
     */
    static List<String> runLeases(Path leasesFile) throws IOException {
        Path dir = leasesFile.toAbsolutePath().getParent();
        JsonObject root = JsonParser.parseString(
                new String(Files.readAllBytes(leasesFile), StandardCharsets.UTF_8)).getAsJsonObject();
        List<String> failures = new ArrayList<>();
        if (root.get("format").getAsInt() != 1) {
            failures.add("leases.json has format " + root.get("format") + ", this runner reads 1");
            return failures;
        }
        JsonArray cases = root.getAsJsonArray("cases");
        for (JsonElement c : cases) {
            JsonObject kase = c.getAsJsonObject();
            String name = kase.get("name").getAsString();
            List<Path> trusted = new ArrayList<>();
            for (JsonElement k : kase.getAsJsonArray("trusted")) {
                trusted.add(dir.resolve(k.getAsString()));
            }
            try (TrustedKeys keys = TrustedKeys.fromFiles(trusted)) {
                List<RevocationList> lists = new ArrayList<>();
                for (JsonElement l : kase.getAsJsonArray("lists")) {
                    lists.add(RevocationList.of(l.getAsString(),
                            Files.readAllBytes(dir.resolve(l.getAsString()))));
                }
                VerifyOptions.Builder options = VerifyOptions.builder()
                        .at(Instant.ofEpochSecond(kase.get("at").getAsLong()))
                        .leeway(kase.get("leeway").getAsLong())
                        .clockTolerance(kase.get("clock_tolerance").getAsLong());
                if (!kase.get("machine").isJsonNull()) {
                    options.machine(kase.get("machine").getAsString());
                }
                LeaseReport report = Licet.checkLease(
                        Files.readAllBytes(dir.resolve(kase.get("lease").getAsString())),
                        Files.readAllBytes(dir.resolve(kase.get("pool").getAsString())),
                        keys, lists, options.build());
                JsonElement expected = kase.get("expect");
                JsonElement got = observedLease(report);
                if (!got.equals(expected)) {
                    failures.add("lease case " + name + ": expected " + expected + "\n  got " + got
                            + "\n  reason: " + report.reason());
                }
                if (report.status() == Status.UNKNOWN) {
                    failures.add("lease case " + name + ": status " + report.statusName()
                            + " is missing from dev.licet.Status");
                }
            } catch (RuntimeException e) {
                failures.add("lease case " + name + ": " + e);
            }
        }
        System.out.println("lease conformance: " + leasesFile + ": " + cases.size() + " cases, "
                + failures.size() + " disagree");
        if (cases.size() == 0) {
            failures.add("no lease case ran");
        }
        return failures;
    }

    /** What a lease report says, in the shape of a lease case's {@code expect}. */
    static JsonElement observedLease(LeaseReport report) {
        JsonObject got = new JsonObject();
        got.addProperty("status", report.statusName());
        got.addProperty("valid", report.valid());
        got.addProperty("passed", report.passed());
        got.addProperty("part", report.part().orElse(null));
        JsonArray lists = new JsonArray();
        for (ListReport l : report.pool().lists()) {
            lists.add(l.statusName());
        }
        got.add("lists", lists);
        if (report.leaseId().isPresent()) {
            JsonObject lease = new JsonObject();
            lease.addProperty("lease_id", report.leaseId().get());
            lease.addProperty("machine_id", report.machineId().orElseThrow());
            lease.addProperty("pool_license_id", report.poolLicenseId().orElseThrow());
            lease.addProperty("issued_at", report.issuedAt().orElseThrow().getEpochSecond());
            lease.addProperty("expires_at", report.expiresAt().orElseThrow().getEpochSecond());
            got.add("lease", lease);
        } else {
            got.add("lease", JsonNull.INSTANCE);
        }
        return JsonParser.parseString(got.toString());
    }

    /** What the report says, in the shape of a step's {@code expect}. */
    static JsonElement observed(Report report) {
        JsonObject got = new JsonObject();
        got.addProperty("status", report.statusName());
        got.addProperty("valid", report.valid());
        got.addProperty("passed", report.passed());
        JsonArray lists = new JsonArray();
        for (ListReport l : report.lists()) {
            lists.add(l.statusName());
        }
        got.add("lists", lists);
        if (report.verified()) {
            JsonObject claims = new JsonObject();
            claims.addProperty("license_id", report.licenseId().orElseThrow());
            claims.addProperty("customer_id", report.customerId().orElseThrow());
            claims.addProperty("product", report.product().orElse(null));
            claims.addProperty("license_type", report.licenseType().orElseThrow());
            claims.addProperty("issued_at", report.issuedAt().orElseThrow().getEpochSecond());
            if (report.expiresAt().isPresent()) {
                claims.addProperty("expires_at", report.expiresAt().get().getEpochSecond());
            } else {
                claims.add("expires_at", JsonNull.INSTANCE);
            }
            claims.addProperty("alg", report.alg().orElseThrow());
            claims.addProperty("kid", report.kid().orElseThrow());
            got.add("claims", claims);
        } else {
            got.add("claims", JsonNull.INSTANCE);
        }
        // Through text, so numbers compare as the parsed file's do.
        return JsonParser.parseString(got.toString());
    }
}
