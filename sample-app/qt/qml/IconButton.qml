import QtQuick
import QtQuick.Controls
import Confab

// A small round button showing a glyph, with a tooltip.
AbstractButton {
    id: button
    property string glyph
    property string tip
    property color glyphColor: Theme.textMuted
    implicitWidth: 30
    implicitHeight: 30
    hoverEnabled: true
    Accessible.name: tip
    background: Rectangle {
        radius: width / 2
        color: button.hovered ? Theme.surface : "transparent"
        border.width: button.hovered ? 1 : 0
        border.color: Theme.divider
    }
    contentItem: Text {
        text: button.glyph
        horizontalAlignment: Text.AlignHCenter
        verticalAlignment: Text.AlignVCenter
        color: button.glyphColor
        font.family: Theme.fontFamily
        font.pixelSize: 15
    }
    ToolTip.visible: hovered && tip !== ""
    ToolTip.text: tip
    ToolTip.delay: 600
}
