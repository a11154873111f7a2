package dev.writ.core.scope;

import static dev.writ.core.scope.ScopeJsonTest.EXAMPLE;
import static dev.writ.core.scope.ScopeJsonTest.edit;
import static dev.writ.core.scope.ScopeJsonTest.parse;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.writ.core.action.Classification;
import org.junit.jupiter.api.Test;

class ScopeAlgebraTest {
    @Test
    void actionPatternsIntersect() {
        Scope a = parse(edit(o -> o.putArray("actions").add("payments.*").add("erp.*")));
        Scope b = parse(edit(o ->
                o.putArray("actions").add("payments.transfer").add("erp.po.*").add("crm.read")));
        assertThat(a.intersect(b).actions()).containsExactly("erp.po.*", "payments.transfer");
        Scope c = parse(edit(o -> o.putArray("actions").add("hr.*")));
        assertThat(a.intersect(c).actions()).isEmpty();
        Scope any = parse(edit(o -> o.putArray("actions").add("*")));
        assertThat(any.intersect(b).actions()).isEqualTo(b.actions());
    }

    @Test
    void limitsSetsClassificationAndDelegation() {
        Scope a = parse(edit(o -> {
            o.putObject("limits").put("EUR", 100).put("USD", 5);
            o.putArray("regions").add("eu-west-1").add("eu-central-1");
            o.put("classification", "restricted");
            o.put("delegation", 5);
        }));
        Scope b = parse(edit(o -> {
            o.putObject("limits").put("EUR", 50).put("GBP", 5);
            o.putArray("regions").add("*");
            o.putArray("counterparties").add("other");
            o.put("classification", "internal");
            o.put("delegation", 3);
        }));
        Scope i = a.intersect(b);
        assertThat(i.limits()).containsExactly(java.util.Map.entry("EUR", 50L));
        assertThat(i.regions()).containsExactly("eu-central-1", "eu-west-1");
        assertThat(i.counterparties()).isEmpty();
        assertThat(i.classification()).isEqualTo(Classification.INTERNAL);
        assertThat(i.delegationDepth()).isEqualTo(3);
        assertThat(i.isWithin(a)).isTrue();
        assertThat(i.isWithin(b)).isTrue();
        assertThat(a.isWithin(b)).isFalse();
    }

    @Test
    void topIsTheIdentity() {
        Scope s = parse(EXAMPLE);
        assertThat(Scope.top().intersect(s)).isEqualTo(s);
        assertThat(s.intersect(Scope.top())).isEqualTo(s);
        assertThat(s.isWithin(Scope.top())).isTrue();
        assertThat(Scope.top().isWithin(s)).isFalse();
    }

    @Test
    void delegation() throws ScopeException {
        Scope parent = parse(EXAMPLE); // depth 2
        Scope wants = parse(edit(o -> {
            o.putArray("actions").add("payments.transfer").add("hr.*");
            o.putObject("limits").put("EUR", 5_000_000);
            o.put("delegation", 9);
        }));
        Scope child = parent.delegate(wants);
        assertThat(child.actions()).containsExactly("payments.transfer");
        assertThat(child.limits()).containsExactly(java.util.Map.entry("EUR", 1_000_000L));
        assertThat(child.delegationDepth()).isEqualTo(1);
        assertThat(child.isWithin(parent)).isTrue();

        Scope modest = wants.withDelegationDepth(0);
        assertThat(parent.delegate(modest).delegationDepth()).isZero();

        Scope grandchild = child.delegate(wants);
        assertThat(grandchild.delegationDepth()).isZero();
        assertThatThrownBy(() -> grandchild.delegate(wants))
                .isInstanceOf(ScopeException.class)
                .extracting(e -> ((ScopeException) e).code())
                .isEqualTo("scope.delegation");
    }

    @Test
    void withDelegationDepthChecksItsArgument() {
        Scope s = parse(EXAMPLE);
        assertThat(s.withDelegationDepth(7).delegationDepth()).isEqualTo(7);
        assertThat(s.withDelegationDepth(2)).isEqualTo(s);
        assertThatThrownBy(() -> s.withDelegationDepth(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> s.withDelegationDepth(256)).isInstanceOf(IllegalArgumentException.class);
    }
}
