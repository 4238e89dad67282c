import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Confab

// Start a direct message with someone of the user's workspaces.
Dialog {
    id: dialog
    title: qsTr("New direct message")
    modal: true
    width: 360
    height: 440
    padding: 12
    standardButtons: Dialog.Cancel
    background: Rectangle { radius: 14; color: Theme.raised; border.width: 1; border.color: Theme.divider }
    header: Text {
        text: dialog.title
        padding: 20
        bottomPadding: 4
        color: Theme.text
        font.family: Theme.fontFamily
        font.pixelSize: Theme.fontSize + 3
        font.weight: Font.Bold
    }
    property var people: []
    onAboutToShow: people = app.chat ? app.chat.directory() : []

    ListView {
        anchors.fill: parent
        clip: true
        model: dialog.people
        delegate: Rectangle {
            required property var modelData
            width: ListView.view.width
            height: 46
            radius: 8
            color: personHover.hovered ? Theme.surface : "transparent"
            HoverHandler { id: personHover }
            TapHandler {
                onTapped: {
                    app.chat.openDm(modelData.userId)
                    dialog.close()
                }
            }
            RowLayout {
                anchors.fill: parent
                anchors.leftMargin: 10
                spacing: 10
                Avatar { userId: modelData.userId; name: modelData.name; presence: app.chat.presence(modelData.userId); size: 30 }
                Text { text: modelData.name; color: Theme.text; font.family: Theme.fontFamily; font.pixelSize: Theme.fontSize }
            }
        }
    }
}
