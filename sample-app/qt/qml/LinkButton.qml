import QtQuick
import Confab

// A text action ("Retry", "3 replies").
Text {
    id: link
    signal clicked()
    color: Theme.accent
    font.family: Theme.fontFamily
    font.pixelSize: Theme.smallFontSize
    font.weight: Font.DemiBold
    font.underline: area.containsMouse
    Accessible.role: Accessible.Button
    Accessible.name: text
    MouseArea {
        id: area
        anchors.fill: parent
        anchors.margins: -4
        hoverEnabled: true
        cursorShape: Qt.PointingHandCursor
        onClicked: link.clicked()
    }
}
