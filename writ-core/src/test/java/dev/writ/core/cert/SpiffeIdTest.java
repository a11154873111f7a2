package dev.writ.core.cert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SpiffeIdTest {
    @Test
    void parsesAndPrints() throws CertificateProfileException {
        SpiffeId id = SpiffeId.parse("spiffe://prod.acme-corp.example/tenant/Acme_1/agent/inv.bot-7");
        assertThat(id).isEqualTo(new SpiffeId("prod.acme-corp.example", "Acme_1", "inv.bot-7"));
        assertThat(id.toString()).isEqualTo("spiffe://prod.acme-corp.example/tenant/Acme_1/agent/inv.bot-7");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "",
                "spiffe://",
                "spiffe://acme.example",
                "spiffe://acme.example/",
                "spiffe://acme.example/tenant/acme/agent",
                "spiffe://acme.example/tenant/acme/agent/",
                "spiffe://acme.example/tenant/acme/agent/a/",
                "spiffe://acme.example/tenant/acme/agent/a/b",
                "spiffe://acme.example/tenant//agent/a",
                "spiffe://acme.example/tenants/acme/agent/a",
                "spiffe://acme.example/tenant/acme/agents/a",
                "spiffe://acme.example/tenant/../agent/a",
                "spiffe://acme.example/tenant/acme/agent/.",
                "spiffe://acme.example/tenant/ac%20me/agent/a",
                "spiffe://acme.example/tenant/acme/agent/a?x",
                "spiffe://acme.example/tenant/acme/agent/a#x",
                "spiffe://acme.example:443/tenant/acme/agent/a",
                "spiffe://user@acme.example/tenant/acme/agent/a",
                "spiffe://Acme.example/tenant/acme/agent/a",
                "SPIFFE://acme.example/tenant/acme/agent/a",
                "spiffe:acme.example/tenant/acme/agent/a",
                "https://acme.example/tenant/acme/agent/a",
                "spiffe:///tenant/acme/agent/a",
                "spiffe://acme.example/tenant/acmé/agent/a",
            })
    void rejects(String uri) {
        assertThatThrownBy(() -> SpiffeId.parse(uri))
                .isInstanceOf(CertificateProfileException.class)
                .extracting(e -> ((CertificateProfileException) e).code())
                .isEqualTo("cert.profile.san");
    }

    @Test
    void rejectsOverlongIds() {
        String seg = "a".repeat(255);
        String tooLong = "spiffe://" + "b".repeat(255) + "/tenant/" + seg + "/agent/" + seg;
        assertThat(tooLong.length()).isLessThan(2048);
        String longer = "spiffe://acme.example/tenant/acme/agent/" + "a".repeat(256);
        assertThatThrownBy(() -> SpiffeId.parse(longer)).isInstanceOf(CertificateProfileException.class);
        assertThatThrownBy(() -> SpiffeId.parse("spiffe://acme.example/tenant/acme/agent/" + "a".repeat(3000)))
                .isInstanceOf(CertificateProfileException.class);
        assertThatThrownBy(() -> SpiffeId.parse(null)).isInstanceOf(CertificateProfileException.class);
        assertThatThrownBy(() -> new SpiffeId("acme", "", "a")).isInstanceOf(IllegalArgumentException.class);
    }
}
