package dev.writ.core.scope;

import static dev.writ.core.scope.ScopeJsonTest.EXAMPLE;
import static dev.writ.core.scope.ScopeJsonTest.edit;
import static dev.writ.core.scope.ScopeJsonTest.parse;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.stream.Stream;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Enumerated;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.DERPrintableString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.DERTaggedObject;
import org.bouncycastle.asn1.DERUTF8String;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ScopeDerTest {
    static final byte[] DER = parse(EXAMPLE).toDer();

    @Test
    void roundTrips() throws ScopeException {
        Scope s = parse(EXAMPLE);
        assertThat(Scope.fromDer(s.toDer())).isEqualTo(s);
        for (String hours : new String[] {"\"*\"", "\"never\""}) {
            Scope h = parse(EXAMPLE.replaceAll("\"hours\": \\{[^}]*}", "\"hours\": " + hours));
            assertThat(Scope.fromDer(h.toDer())).isEqualTo(h);
        }
        Scope any = parse(edit(o -> {
            o.putArray("counterparties").add("*");
            o.putArray("regions");
            o.putArray("actions");
            o.putObject("limits");
        }));
        assertThat(Scope.fromDer(any.toDer())).isEqualTo(any);
        assertThat(Scope.fromDer(Scope.top().toDer())).isEqualTo(Scope.top());
    }

    @Test
    void encodesDaysAsATrimmedNamedBitList() {
        Scope mondays = parse(edit(o -> ((com.fasterxml.jackson.databind.node.ObjectNode) o.get("hours"))
                .putArray("days")
                .add("mon")));
        assertThat(HexFormat.of().formatHex(mondays.toDer())).contains("03020780");
        Scope sundays = parse(edit(o -> ((com.fasterxml.jackson.databind.node.ObjectNode) o.get("hours"))
                .putArray("days")
                .add("sun")));
        assertThat(HexFormat.of().formatHex(sundays.toDer())).contains("03020102");
        assertThat(HexFormat.of().formatHex(DER)).contains("030203f8");
    }

    /** The example with field {@code index} replaced. */
    static byte[] with(int index, ASN1Encodable value) {
        try {
            ASN1Sequence seq = (ASN1Sequence) ASN1Primitive.fromByteArray(DER);
            ASN1EncodableVector v = new ASN1EncodableVector();
            for (int i = 0; i < seq.size(); i++) {
                v.add(i == index ? value : seq.getObjectAt(i));
            }
            return new DERSequence(v).getEncoded(ASN1Encoding.DER);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    static DERSequence seq(ASN1Encodable... e) {
        return new DERSequence(e);
    }

    static DERSequence utf8(String... s) {
        return new DERSequence(Arrays.stream(s).map(DERUTF8String::new).toArray(ASN1Encodable[]::new));
    }

    static DERSequence limit(ASN1Encodable currency, long v) {
        return seq(currency, new ASN1Integer(v));
    }

    static DERSequence window(String tz, DERBitString days, int start, int end) {
        return seq(new DERUTF8String(tz), days, new ASN1Integer(start), new ASN1Integer(end));
    }

    static final DERBitString WEEKDAYS = new DERBitString(new byte[] {(byte) 0xf8}, 3);

    static byte[] hex(String h) {
        return HexFormat.of().parseHex(h);
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    static Stream<Arguments> rejections() {
        byte[] body = Arrays.copyOfRange(DER, 3, DER.length); // after 30 81 81
        ASN1Encodable eur = new DERPrintableString("EUR");
        ASN1Encodable usd = new DERPrintableString("USD");
        byte[] deep = new byte[2000];
        for (int i = 0; i < deep.length; i += 2) {
            deep[i] = 0x30;
            deep[i + 1] = (byte) 0x80;
        }
        return Stream.of(
                Arguments.of("empty", new byte[0], "scope.empty"),
                Arguments.of("too large", new byte[64 * 1024 + 1], "scope.too_large"),
                Arguments.of("trailing byte", concat(DER, new byte[] {0}), "scope.malformed"),
                Arguments.of("truncated", Arrays.copyOf(DER, DER.length - 1), "scope.malformed"),
                Arguments.of("non-minimal length", concat(hex("30820081"), body), "scope.malformed"),
                Arguments.of("indefinite length", concat(concat(hex("3080"), body), hex("0000")), "scope.malformed"),
                Arguments.of("not a sequence", hex("0500"), "scope.malformed"),
                Arguments.of("nested too deep", deep, "scope.malformed"),
                Arguments.of("high tag number", hex("1f8100"), "scope.malformed"),
                Arguments.of(
                        "unsorted actions",
                        with(0, utf8("payments.*", "erp.purchase_order.create")),
                        "scope.malformed"),
                Arguments.of("duplicate actions", with(0, utf8("erp.x", "erp.x")), "scope.malformed"),
                Arguments.of("subsumed action", with(0, utf8("payments.*", "payments.transfer")), "scope.malformed"),
                Arguments.of("bad action", with(0, utf8("payments.*.x")), "scope.action_invalid"),
                Arguments.of("action not UTF8String", with(0, seq(new DERPrintableString("a"))), "scope.malformed"),
                Arguments.of("unsorted limits", with(1, seq(limit(usd, 1), limit(eur, 1))), "scope.malformed"),
                Arguments.of("duplicate limits", with(1, seq(limit(eur, 1), limit(eur, 2))), "scope.malformed"),
                Arguments.of(
                        "lower-case currency",
                        with(1, seq(limit(new DERPrintableString("eur"), 1))),
                        "scope.currency_unknown"),
                Arguments.of(
                        "unknown currency",
                        with(1, seq(limit(new DERPrintableString("ZZZ"), 1))),
                        "scope.currency_unknown"),
                Arguments.of(
                        "currency as UTF8String", with(1, seq(limit(new DERUTF8String("EUR"), 1))), "scope.malformed"),
                Arguments.of("negative limit", with(1, seq(limit(eur, -1))), "scope.limit_negative"),
                Arguments.of("limit above 2^53-1", with(1, seq(limit(eur, 1L << 53))), "scope.limit_invalid"),
                Arguments.of(
                        "huge limit",
                        with(1, seq(seq(eur, new ASN1Integer(BigInteger.TWO.pow(200))))),
                        "scope.limit_invalid"),
                Arguments.of(
                        "limit with three fields",
                        with(1, seq(seq(eur, new ASN1Integer(1), new ASN1Integer(1)))),
                        "scope.malformed"),
                Arguments.of(
                        "* inside a name list", with(2, new DERTaggedObject(false, 1, utf8("*"))), "scope.malformed"),
                Arguments.of(
                        "unsorted name list",
                        with(2, new DERTaggedObject(false, 1, utf8("b", "a"))),
                        "scope.malformed"),
                Arguments.of(
                        "unknown NameSet alternative",
                        with(2, new DERTaggedObject(false, 3, DERNull.INSTANCE)),
                        "scope.malformed"),
                Arguments.of(
                        "explicitly tagged any",
                        with(2, new DERTaggedObject(true, 0, DERNull.INSTANCE)),
                        "scope.malformed"),
                Arguments.of("untagged NameSet", with(3, utf8("eu-west-1")), "scope.malformed"),
                Arguments.of("bad region", with(3, new DERTaggedObject(false, 1, utf8("eu west"))), "scope.malformed"),
                Arguments.of("empty allOf", with(4, new DERTaggedObject(false, 2, seq())), "scope.malformed"),
                Arguments.of(
                        "unknown zone",
                        with(4, new DERTaggedObject(false, 2, seq(window("Mars/Olympus", WEEKDAYS, 480, 1080)))),
                        "scope.timezone_unknown"),
                Arguments.of(
                        "offset zone",
                        with(4, new DERTaggedObject(false, 2, seq(window("+01:00", WEEKDAYS, 480, 1080)))),
                        "scope.timezone_unknown"),
                Arguments.of(
                        "no days",
                        with(
                                4,
                                new DERTaggedObject(
                                        false,
                                        2,
                                        seq(window("Europe/Berlin", new DERBitString(new byte[0], 0), 480, 1080)))),
                        "scope.hours_invalid"),
                Arguments.of(
                        "eighth day",
                        with(
                                4,
                                new DERTaggedObject(
                                        false,
                                        2,
                                        seq(window(
                                                "Europe/Berlin",
                                                new DERBitString(new byte[] {(byte) 0x81}, 0),
                                                480,
                                                1080)))),
                        "scope.hours_invalid"),
                Arguments.of(
                        "untrimmed days",
                        with(
                                4,
                                new DERTaggedObject(
                                        false,
                                        2,
                                        seq(window(
                                                "Europe/Berlin",
                                                new DERBitString(new byte[] {(byte) 0xf8}, 0),
                                                480,
                                                1080)))),
                        "scope.malformed"),
                Arguments.of(
                        "start after end",
                        with(4, new DERTaggedObject(false, 2, seq(window("Europe/Berlin", WEEKDAYS, 1080, 480)))),
                        "scope.hours_invalid"),
                Arguments.of(
                        "end beyond the day",
                        with(4, new DERTaggedObject(false, 2, seq(window("Europe/Berlin", WEEKDAYS, 0, 1441)))),
                        "scope.hours_invalid"),
                Arguments.of(
                        "two windows in one zone",
                        with(
                                4,
                                new DERTaggedObject(
                                        false,
                                        2,
                                        seq(
                                                window("Europe/Berlin", WEEKDAYS, 480, 1080),
                                                window("Europe/Berlin", WEEKDAYS, 500, 1080)))),
                        "scope.malformed"),
                Arguments.of(
                        "unsorted zones",
                        with(
                                4,
                                new DERTaggedObject(
                                        false,
                                        2,
                                        seq(
                                                window("Europe/Berlin", WEEKDAYS, 480, 1080),
                                                window("America/New_York", WEEKDAYS, 500, 1080)))),
                        "scope.malformed"),
                Arguments.of(
                        "never with content",
                        with(4, new DERTaggedObject(false, 1, new DERUTF8String("x"))),
                        "scope.malformed"),
                Arguments.of(
                        "classification out of range", with(5, new ASN1Enumerated(4)), "scope.classification_unknown"),
                Arguments.of(
                        "classification negative",
                        hex(HexFormat.of().formatHex(DER).replaceAll("0a0102020102$", "0a01ff020102")),
                        "scope.malformed"),
                Arguments.of("classification as INTEGER", with(5, new ASN1Integer(2)), "scope.malformed"),
                Arguments.of("delegation 256", with(6, new ASN1Integer(256)), "scope.delegation_invalid"),
                Arguments.of("delegation negative", with(6, new ASN1Integer(-1)), "scope.delegation_invalid"),
                Arguments.of(
                        "delegation huge",
                        with(6, new ASN1Integer(BigInteger.TWO.pow(100))),
                        "scope.delegation_invalid"),
                Arguments.of("delegation as ENUMERATED", with(6, new ASN1Enumerated(1)), "scope.malformed"),
                Arguments.of(
                        "non-minimal INTEGER",
                        hex(HexFormat.of()
                                .formatHex(DER)
                                .replaceAll("020102$", "02020002")
                                .replaceFirst("^308181", "308182")),
                        "scope.malformed"),
                Arguments.of("eighth field", concatFields(DER, hex("020100")), "scope.malformed"),
                Arguments.of("six fields", dropLastField(), "scope.malformed"));
    }

    static byte[] concatFields(byte[] der, byte[] extra) {
        byte[] body = concat(Arrays.copyOfRange(der, 3, der.length), extra);
        return concat(new byte[] {0x30, (byte) 0x81, (byte) body.length}, body);
    }

    static byte[] dropLastField() {
        byte[] body = Arrays.copyOfRange(DER, 3, DER.length - 3);
        return concat(new byte[] {0x30, (byte) 0x81, (byte) body.length}, body);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rejections")
    void rejects(String name, byte[] der, String code) {
        assertThatThrownBy(() -> Scope.fromDer(der))
                .isInstanceOf(ScopeException.class)
                .extracting(e -> ((ScopeException) e).code())
                .isEqualTo(code);
    }

    @Test
    void rejectsNull() {
        assertThatThrownBy(() -> Scope.fromDer(null))
                .isInstanceOf(ScopeException.class)
                .extracting(e -> ((ScopeException) e).code())
                .isEqualTo("scope.empty");
    }
}
