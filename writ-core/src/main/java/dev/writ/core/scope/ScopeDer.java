package dev.writ.core.scope;

import dev.writ.core.action.Classification;
import dev.writ.core.cert.StrictDer;
import java.io.IOException;
import java.math.BigInteger;
import java.time.DayOfWeek;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bouncycastle.asn1.ASN1BitString;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Enumerated;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1Null;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1PrintableString;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.ASN1TaggedObject;
import org.bouncycastle.asn1.ASN1UTF8String;
import org.bouncycastle.asn1.BERTags;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.DERPrintableString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.DERTaggedObject;
import org.bouncycastle.asn1.DERUTF8String;

/**
 * DER codec for the {@code WritScope} type of {@code docs/asn1/WritExtensions.asn1}. Keep the two in step.
 *
 * <pre>
 * WritScope ::= SEQUENCE {
 *   actions         SEQUENCE OF UTF8String,                 -- ascending, normal form
 *   limits          SEQUENCE OF AmountLimit,                -- ascending by currency
 *   counterparties  NameSet,
 *   regions         NameSet,
 *   hours           OperatingHours,
 *   classification  ENUMERATED { public(0), internal(1), confidential(2), restricted(3) },
 *   delegation      INTEGER (0..255) }
 * AmountLimit    ::= SEQUENCE { currency PrintableString (SIZE (3)), maximum INTEGER (0..9007199254740991) }
 * NameSet        ::= CHOICE { any [0] NULL, only [1] SEQUENCE OF UTF8String }
 * OperatingHours ::= CHOICE { any [0] NULL, never [1] NULL, allOf [2] SEQUENCE SIZE (1..MAX) OF HoursWindow }
 * HoursWindow    ::= SEQUENCE { timeZone UTF8String, days DaysOfWeek, start INTEGER (0..1439), end INTEGER (1..1440) }
 * DaysOfWeek     ::= BIT STRING { monday(0), tuesday(1), wednesday(2), thursday(3), friday(4), saturday(5), sunday(6) }
 * </pre>
 *
 * The module uses IMPLICIT TAGS.
 */
final class ScopeDer {
    static final int MAX_DER_BYTES = 64 * 1024;
    /** WritScope, NameSet/OperatingHours alternative, HoursWindow / AmountLimit: three levels of constructed values. */
    private static final int MAX_DEPTH = 4;

    private ScopeDer() {}

    static byte[] encode(Scope s) {
        ASN1EncodableVector v = new ASN1EncodableVector(7);
        v.add(utf8Sequence(s.actions()));
        ASN1EncodableVector limits = new ASN1EncodableVector();
        for (Map.Entry<String, Long> e : s.limits().entrySet()) {
            limits.add(new DERSequence(
                    new ASN1Encodable[] {new DERPrintableString(e.getKey()), new ASN1Integer(e.getValue())}));
        }
        v.add(new DERSequence(limits));
        v.add(nameSet(s.counterparties()));
        v.add(nameSet(s.regions()));
        v.add(hours(s.hours()));
        v.add(new ASN1Enumerated(s.classification().ordinal()));
        v.add(new ASN1Integer(s.delegationDepth()));
        try {
            return new DERSequence(v).getEncoded(ASN1Encoding.DER);
        } catch (IOException e) {
            throw new IllegalStateException("DER encoding failed", e);
        }
    }

    private static DERSequence utf8Sequence(Set<String> values) {
        ASN1EncodableVector v = new ASN1EncodableVector(values.size());
        for (String s : values) {
            v.add(new DERUTF8String(s));
        }
        return new DERSequence(v);
    }

    private static ASN1Encodable nameSet(Set<String> values) {
        if (values.equals(Set.of(Scope.ANY))) {
            return new DERTaggedObject(false, 0, DERNull.INSTANCE);
        }
        return new DERTaggedObject(false, 1, utf8Sequence(values));
    }

    private static ASN1Encodable hours(OperatingHours h) {
        if (h.isAny()) {
            return new DERTaggedObject(false, 0, DERNull.INSTANCE);
        }
        if (h.isNever()) {
            return new DERTaggedObject(false, 1, DERNull.INSTANCE);
        }
        ASN1EncodableVector windows = new ASN1EncodableVector();
        for (OperatingHours.Window w : h.windows()) {
            windows.add(new DERSequence(new ASN1Encodable[] {
                new DERUTF8String(w.zone().getId()),
                days(w.days()),
                new ASN1Integer(w.start()),
                new ASN1Integer(w.end())
            }));
        }
        return new DERTaggedObject(false, 2, new DERSequence(windows));
    }

    /** Named bit list: bit n is the n-th day from Monday; DER drops trailing zero bits. */
    private static DERBitString days(Set<DayOfWeek> days) {
        int b = 0;
        for (DayOfWeek d : days) {
            b |= 0x80 >>> (d.getValue() - 1);
        }
        return new DERBitString(new byte[] {(byte) b}, Integer.numberOfTrailingZeros(b));
    }

    static Scope decode(byte[] der) throws ScopeException {
        if (der == null || der.length == 0) {
            throw new ScopeException("scope.empty", "the scope extension is empty");
        }
        if (der.length > MAX_DER_BYTES) {
            throw new ScopeException("scope.too_large", "the scope extension is larger than 64 KiB");
        }
        ASN1Primitive p;
        try {
            p = StrictDer.parse(der, MAX_DEPTH);
        } catch (IOException e) {
            throw new ScopeException("scope.malformed", "the scope extension is not valid DER");
        }
        Scope s;
        try {
            s = decode(p);
        } catch (RuntimeException e) {
            // Anything Bouncy Castle or our casts object to is malformed input, never a crash.
            throw new ScopeException("scope.malformed", "the scope extension does not match the ASN.1 module");
        }
        // The encoding is unique: anything but our own re-encoding (order, duplicates, subsumed patterns,
        // bit-string padding) is refused rather than normalised, so the signed bytes mean exactly one scope.
        if (!java.util.Arrays.equals(s.toDer(), der)) {
            throw new ScopeException("scope.malformed", "the scope extension is not in canonical DER form");
        }
        return s;
    }

    private static Scope decode(ASN1Primitive p) throws ScopeException {
        ASN1Sequence seq = sequence(p, 7);
        List<String> actions = utf8List(seq.getObjectAt(0));
        ASN1Sequence limitSeq = sequence(seq.getObjectAt(1), -1);
        Scope.checkSize(limitSeq.size(), "limits");
        Map<String, Long> limits = new LinkedHashMap<>();
        for (ASN1Encodable e : limitSeq) {
            ASN1Sequence pair = sequence(e, 2);
            if (!(pair.getObjectAt(0) instanceof ASN1PrintableString cur)) {
                throw malformed();
            }
            Scope.checkCurrency(cur.getString());
            BigInteger max = integer(pair.getObjectAt(1));
            if (max.signum() < 0) {
                throw new ScopeException("scope.limit_negative", "a limit must not be negative");
            }
            if (max.bitLength() > 62) {
                throw new ScopeException("scope.limit_invalid", "a limit must not exceed 2^53 - 1 minor units");
            }
            if (limits.put(cur.getString(), max.longValue()) != null) {
                throw malformed();
            }
        }
        List<String> counterparties = nameSet(seq.getObjectAt(2));
        List<String> regions = nameSet(seq.getObjectAt(3));
        OperatingHours hours = hours(seq.getObjectAt(4));
        if (!(seq.getObjectAt(5) instanceof ASN1Enumerated en)) {
            throw malformed();
        }
        BigInteger c = en.getValue();
        if (c.signum() < 0 || c.compareTo(BigInteger.valueOf(Classification.values().length)) >= 0) {
            throw new ScopeException(
                    "scope.classification_unknown",
                    "classification must be public, internal, confidential or restricted");
        }
        BigInteger d = integer(seq.getObjectAt(6));
        int depth = Scope.checkDelegation(d.bitLength() > 31 ? -1 : d.longValue());
        return Scope.of(actions, limits, counterparties, regions, hours, Classification.values()[c.intValue()], depth);
    }

    private static ScopeException malformed() {
        return new ScopeException("scope.malformed", "the scope extension does not match the ASN.1 module");
    }

    private static ASN1Sequence sequence(ASN1Encodable e, int size) throws ScopeException {
        if (!(e instanceof ASN1Sequence s) || (size >= 0 && s.size() != size)) {
            throw malformed();
        }
        return s;
    }

    private static BigInteger integer(ASN1Encodable e) throws ScopeException {
        if (!(e instanceof ASN1Integer i)) {
            throw malformed();
        }
        return i.getValue();
    }

    private static List<String> utf8List(ASN1Encodable e) throws ScopeException {
        ASN1Sequence s = sequence(e, -1);
        Scope.checkSize(s.size(), "entries");
        List<String> out = new ArrayList<>(s.size());
        for (ASN1Encodable x : s) {
            if (!(x instanceof ASN1UTF8String u)) {
                throw malformed();
            }
            out.add(u.getString());
        }
        return out;
    }

    private static ASN1TaggedObject contextTag(ASN1Encodable e) throws ScopeException {
        if (!(e instanceof ASN1TaggedObject t) || t.getTagClass() != BERTags.CONTEXT_SPECIFIC) {
            throw malformed();
        }
        return t;
    }

    private static void implicitNull(ASN1TaggedObject t) throws ScopeException {
        // A constructed [n] or one with content fails here or in the canonical re-encoding check.
        ASN1Null.getInstance(t, false);
    }

    private static List<String> nameSet(ASN1Encodable e) throws ScopeException {
        ASN1TaggedObject t = contextTag(e);
        switch (t.getTagNo()) {
            case 0 -> {
                implicitNull(t);
                return List.of(Scope.ANY);
            }
            case 1 -> {
                List<String> values = utf8List(ASN1Sequence.getInstance(t, false));
                // "*" is encoded as the [0] alternative, never as a value of the list.
                if (values.contains(Scope.ANY)) {
                    throw malformed();
                }
                return values;
            }
            default -> throw malformed();
        }
    }

    private static OperatingHours hours(ASN1Encodable e) throws ScopeException {
        ASN1TaggedObject t = contextTag(e);
        switch (t.getTagNo()) {
            case 0 -> {
                implicitNull(t);
                return OperatingHours.ANY;
            }
            case 1 -> {
                implicitNull(t);
                return OperatingHours.NEVER;
            }
            case 2 -> {
                ASN1Sequence ws = ASN1Sequence.getInstance(t, false);
                if (ws.size() == 0) {
                    throw malformed();
                }
                Scope.checkSize(ws.size(), "hours");
                List<OperatingHours.Window> windows = new ArrayList<>();
                for (ASN1Encodable x : ws) {
                    windows.add(window(sequence(x, 4)));
                }
                return OperatingHours.allOf(windows);
            }
            default -> throw malformed();
        }
    }

    private static OperatingHours.Window window(ASN1Sequence w) throws ScopeException {
        if (!(w.getObjectAt(0) instanceof ASN1UTF8String tz) || !Zones.isIana(tz.getString())) {
            throw new ScopeException("scope.timezone_unknown", "tz must be an IANA time zone id");
        }
        if (!(w.getObjectAt(1) instanceof ASN1BitString bits)) {
            throw malformed();
        }
        byte[] octets = bits.getBytes();
        if (octets.length != 1 || (octets[0] & 0x01) != 0 || octets[0] == 0) {
            throw new ScopeException("scope.hours_invalid", "days must name one to seven days of the week");
        }
        EnumSet<DayOfWeek> days = EnumSet.noneOf(DayOfWeek.class);
        for (int i = 0; i < 7; i++) {
            if ((octets[0] & (0x80 >>> i)) != 0) {
                days.add(DayOfWeek.of(i + 1));
            }
        }
        BigInteger start = integer(w.getObjectAt(2));
        BigInteger end = integer(w.getObjectAt(3));
        if (start.signum() < 0
                || end.compareTo(BigInteger.valueOf(OperatingHours.MINUTES_PER_DAY)) > 0
                || start.compareTo(end) >= 0) {
            throw new ScopeException("scope.hours_invalid", "a window must satisfy 0 <= start < end <= 1440");
        }
        return new OperatingHours.Window(ZoneId.of(tz.getString()), days, start.intValue(), end.intValue());
    }
}
