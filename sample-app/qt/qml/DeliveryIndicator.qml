import QtQuick
import Confab

// Where one of the user's messages is: a clock while queued, one tick when the server has
// it, two when a member's device has it, two bright ones and "Read by N" once read; an
// exclamation mark when it failed.
Row {
    id: indicator
    property string state: "sent"
    property int readByCount: 0
    property color color: Theme.bubbleOwnMuted
    spacing: 3

    Text {
        font.family: Theme.fontFamily
        font.pixelSize: Theme.smallFontSize
        color: indicator.state === "read" ? Theme.readTick
             : indicator.state === "failed" ? Theme.danger : indicator.color
        text: indicator.state === "pending" ? "\u25F7"
            : indicator.state === "sending" ? "\u25CB"
            : indicator.state === "sent" ? "\u2713"
            : indicator.state === "failed" ? "!"
            : "\u2713\u2713"
        Accessible.name: indicator.state
    }
    Text {
        visible: indicator.state === "read"
        font.family: Theme.fontFamily
        font.pixelSize: Theme.smallFontSize
        color: indicator.color
        text: qsTr("Read by %1").arg(indicator.readByCount)
    }
}
