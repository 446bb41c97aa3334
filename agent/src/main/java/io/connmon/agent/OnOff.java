package io.connmon.agent;

import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** A switch as an operator writes it in an environment file: on/off, true/false, yes/no, 1/0. */
final class OnOff implements ITypeConverter<Boolean> {
    @Override
    public Boolean convert(String value) {
        switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "on":
            case "true":
            case "yes":
            case "1":
                return true;
            case "off":
            case "false":
            case "no":
            case "0":
            case "":
                return false;
            default:
                throw new TypeConversionException("'" + value + "' is not on or off");
        }
    }
}
