package dev.writ.server.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The default bundle's own test cases run in the build, from the source tree. */
class ProcurementBundleTest {

    @Test
    void everyShippedCasePasses() throws Exception {
        Path dir = Path.of(System.getProperty("writ.repo.root"), "writ-server/src/main/resources/bundles/procurement");
        BundleFiles files = BundleFiles.read(dir);
        assertThat(files.hash()).isEqualTo(Bundles.procurementFiles().hash());
        List<BundleTests.CaseResult> results = BundleTests.run(files);
        assertThat(results).hasSizeGreaterThanOrEqualTo(15);
        assertThat(results).allSatisfy(r -> assertThat(r.passed())
                .as("%s: %s → %s %s", r.file(), r.name(), BundleTests.kind(r.actual()), BundleTests.reasons(r.actual()))
                .isTrue());
    }
}
