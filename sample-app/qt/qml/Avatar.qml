import QtQuick
import Confab

// A user's initial in a coloured circle, with a presence dot when `presence` is set.
Item {
    id: avatar
    property string userId
    property string name
    property string presence: ""
    property int size: 34
    implicitWidth: size
    implicitHeight: size

    Rectangle {
        anchors.fill: parent
        radius: width / 2
        color: Theme.avatarColor(avatar.userId)
        Text {
            anchors.centerIn: parent
            text: avatar.name.length > 0 ? avatar.name.charAt(0).toUpperCase() : "?"
            color: "white"
            font.family: Theme.fontFamily
            font.pixelSize: avatar.size * 0.45
            font.weight: Font.DemiBold
        }
    }
    Rectangle {
        visible: avatar.presence !== ""
        width: avatar.size * 0.34
        height: width
        radius: width / 2
        anchors.right: parent.right
        anchors.bottom: parent.bottom
        color: Theme.presenceColor(avatar.presence)
        border.width: 2
        border.color: Theme.background
    }
}
