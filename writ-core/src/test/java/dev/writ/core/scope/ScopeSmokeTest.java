package dev.writ.core.scope;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class ScopeSmokeTest {
    static final String EXAMPLE =
            """
            {
              "actions": ["payments.*", "erp.purchase_order.create", "payments.transfer"],
              "limits": {"EUR": 1000000, "USD": 500000},
              "counterparties": ["vendor-y"],
              "regions": ["eu-west-1"],
              "hours": {"tz": "Europe/Berlin", "days": ["mon","tue","wed","thu","fri"], "start": 480, "end": 1080},
              "classification": "confidential",
              "delegation": 2
            }
            """;

    @Test
    void roundTrips() throws Exception {
        Scope s = Scope.parseJson(EXAMPLE);
        System.out.println(s.toJson());
        byte[] der = s.toDer();
        System.out.println(HexFormat.of().formatHex(der));
        assertThat(Scope.parseJson(s.toJson())).isEqualTo(s);
        assertThat(Scope.fromDer(der)).isEqualTo(s);
        assertThat(s.actions()).containsExactly("erp.purchase_order.create", "payments.*");
        Scope top = Scope.top();
        assertThat(Scope.fromDer(top.toDer())).isEqualTo(top);
        assertThat(top.intersect(s)).isEqualTo(s);
    }
}
