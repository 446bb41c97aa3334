package io.connmon.agent;

import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** A switch, {@code on} or {@code off} (any case), as the documentation writes it. */
final class OnOff implements ITypeConverter<Boolean> {
    @Override
    public Boolean convert(String value) {
        switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "on":
                return true;
            case "off":
                return false;
            default:
                throw new TypeConversionException("'" + value + "' is not on or off");
        }
    }
}
