import QtQuick
import Confab

// Where one of the user's messages is: a clock while queued, one tick when the server has
// it, two when a member's device has it, two bright ones and "Read by N" once read; an
// exclamation mark when it failed.
Row {
    id: indicator
    property string delivery: "sent"
    property int readByCount: 0
    property color color: Theme.bubbleOwnMuted
    spacing: 3

    Text {
        font.family: Theme.fontFamily
        font.pixelSize: Theme.smallFontSize
        color: indicator.delivery === "read" ? Theme.readTick
             : indicator.delivery === "failed" ? Theme.danger : indicator.color
        text: indicator.delivery === "pending" ? "\u25F7"
            : indicator.delivery === "sending" ? "\u25CB"
            : indicator.delivery === "sent" ? "\u2713"
            : indicator.delivery === "failed" ? "!"
            : "\u2713\u2713"
        Accessible.name: indicator.delivery
    }
    Text {
        visible: indicator.delivery === "read"
        font.family: Theme.fontFamily
        font.pixelSize: Theme.smallFontSize
        color: indicator.color
        text: qsTr("Read by %1").arg(indicator.readByCount)
    }
}
