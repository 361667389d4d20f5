package io.codexrelay.ui;

/** Where the menu model is shown: the real tray icon, or the control window where no tray host exists. */
interface TraySurface {

    /** A menu entry was chosen; for check items {@code checked} is the state the user clicked it into. */
    interface Actions {
        void chosen(String id, boolean checked);

        /** The user is opening the menu (or brought the control window forward). Any thread; must return at once. */
        default void menuOpening() { }
    }

    /** Shows a new snapshot; {@code icon} is repainted only when it changed. Any thread. */
    void update(TrayMenuModel model, IconState icon);

    /** For logs and tests: "tray (Gtk)" or "control window". */
    String kind();

    void close();
}
