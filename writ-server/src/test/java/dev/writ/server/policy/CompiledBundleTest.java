package dev.writ.server.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class CompiledBundleTest {

    private static PolicyException compileError(String path, String content) {
        try {
            CompiledBundle.compile(BundleFiles.of(Bundles.procurementWith(path, content)));
        } catch (PolicyException e) {
            return e;
        }
        throw new AssertionError("expected the bundle to be refused");
    }

    @Test
    void compilesTheProcurementBundle() throws Exception {
        CompiledBundle b = CompiledBundle.compile(Bundles.procurementFiles());
        assertThat(b.manifest().name()).isEqualTo("procurement");
        assertThat(b.policyCount()).isEqualTo(8);
        assertThat(b.approvalForbids()).containsExactly("po-above-10000-needs-human");
    }

    @Test
    void syntaxErrorNamesFileLineAndColumn() {
        PolicyException e = compileError(
                "extra.cedar",
                "// comment\n@id(\"ok\")\npermit (principal, action, resource);\n\n"
                        + "permit (principal, action, resource)\n  when { context.riskScore > };\n");
        assertThat(e.code()).isEqualTo("policy.syntax");
        assertThat(e.getMessage())
                .startsWith("extra.cedar:6:30: unexpected token `}`")
                .contains("unexpected token");
    }

    @Test
    void syntaxErrorAtEndOfFile() {
        PolicyException e = compileError("extra.cedar", "permit (principal, action, resource)\n");
        assertThat(e.code()).isEqualTo("policy.syntax");
        assertThat(e.getMessage()).startsWith("extra.cedar:");
    }

    @Test
    void schemaViolationNamesFileLineAndColumn() {
        PolicyException e = compileError(
                "extra.cedar",
                "@id(\"fine\")\npermit (principal, action, resource);\n\n@id(\"typo\")\n"
                        + "forbid (principal, action, resource)\n  when { context.riskScore > \"high\" };\n");
        assertThat(e.code()).isEqualTo("policy.schema");
        assertThat(e.getMessage()).startsWith("extra.cedar:6:").contains("typo");
    }

    @Test
    void unknownAttributeAndUnknownActionAreSchemaViolations() {
        assertThat(compileError("extra.cedar", "permit (principal, action, resource) when { principal.salary > 1 };")
                        .code())
                .isEqualTo("policy.schema");
        assertThat(compileError(
                                "extra.cedar",
                                "permit (principal, action == Writ::Action::\"payments.transfer\", resource);")
                        .code())
                .isEqualTo("policy.schema");
        // Optional attributes must be tested with `has` first.
        assertThat(compileError("extra.cedar", "forbid (principal, action, resource) when { context.amount > 1 };")
                        .code())
                .isEqualTo("policy.schema");
    }

    @Test
    void brokenSchemaIsRefused() {
        PolicyException e = compileError("schema.cedarschema", "namespace Writ { entity Agent = { tenant: Strin }; }");
        assertThat(e.code()).isEqualTo("policy.syntax");
        assertThat(e.getMessage()).startsWith("schema.cedarschema");
    }

    @Test
    void aSchemaWithoutWritsEntityTypesIsRefused() {
        PolicyException e = compileError(
                "schema.cedarschema",
                "namespace Writ { entity Agent; action \"budget.lookup\" appliesTo { principal: [Agent], resource: [Agent] }; }");
        assertThat(e.code()).isEqualTo("policy.schema");
        assertThat(e.getMessage()).contains("Writ::Target");
    }

    @Test
    void duplicateIdsTemplatesAndStrayApprovalAnnotationsAreRefused() {
        assertThat(compileError(
                                "extra.cedar",
                                "@id(\"high-risk\")\nforbid (principal, action, resource) when { context.riskScore > 1 };")
                        .code())
                .isEqualTo("policy.invalid_bundle");
        assertThat(compileError("extra.cedar", "permit (principal == ?principal, action, resource);")
                        .code())
                .isEqualTo("policy.invalid_bundle");
        assertThat(compileError("extra.cedar", "@approval(\"human\")\npermit (principal, action, resource);")
                        .code())
                .isEqualTo("policy.invalid_bundle");
        assertThat(compileError(
                                "extra.cedar",
                                "@approval(\"manager\")\nforbid (principal, action, resource) when { context.riskScore > 1 };")
                        .code())
                .isEqualTo("policy.invalid_bundle");
    }

    @Test
    void badManifestIsRefused() {
        assertThat(compileError("manifest.json", "{\"name\":\"x\",\"version\":\"1\"}")
                        .code())
                .isEqualTo("policy.invalid_bundle");
        assertThat(compileError("manifest.json", "{\"name\":\"x\",\"version\":\"1\",\"description\":\"\",\"extra\":1}")
                        .code())
                .isEqualTo("policy.invalid_bundle");
        assertThat(compileError("manifest.json", "not json").code()).isEqualTo("policy.invalid_bundle");
    }

    @Test
    void policiesWithoutIdGetPathAndIndex() throws Exception {
        CompiledBundle b = CompiledBundle.compile(BundleFiles.of(Bundles.procurementWith(
                "more/extra.cedar",
                "permit (principal, action == Writ::Action::\"budget.lookup\", resource);\n"
                        + "forbid (principal, action == Writ::Action::\"budget.lookup\", resource)"
                        + " when { principal.delegationDepth > 2 };\n")));
        var d = b.evaluate(
                new AgentPrincipal("a", "t", "n", null, 3, "p"),
                new dev.writ.core.action.ActionRequest(
                        "budget.lookup",
                        "finance",
                        com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode(),
                        dev.writ.core.action.Classification.INTERNAL,
                        null),
                RequestSignals.NONE,
                TestPki.NOW);
        assertThat(d).isEqualTo(new Decision.Deny(b.hash(), java.util.List.of("more/extra.cedar#1")));
    }

    @Test
    void locateSyntaxErrorFindsTheOffendingToken() {
        String text = "permit (principal, action, resource) when { 1 + };";
        assertThatThrownBy(() -> com.cedarpolicy.model.policy.PolicySet.parsePolicies(text));
        int at = CompiledBundle.locateSyntaxError(text, "unexpected token `}`");
        assertThat(text.charAt(at)).isEqualTo('}');
    }
}
