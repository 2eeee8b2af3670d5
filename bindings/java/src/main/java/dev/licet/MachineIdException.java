package dev.licet;

/**
 * A machine id is not 64 hexadecimal characters (the message quotes it), or this machine's
 * identifier cannot be read. Code {@link LicetException.Code#MACHINE_ID}.
 */
public class MachineIdException extends LicetException {
    private static final long serialVersionUID = 1L;

    MachineIdException(String message) {
        super(Code.MACHINE_ID, message);
    }
}
