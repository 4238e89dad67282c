import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Confab

// Create a channel, or join a public one by its id.
Dialog {
    id: dialog
    title: qsTr("Channels")
    modal: true
    width: 380
    padding: 20
    standardButtons: Dialog.Cancel
    property string workspaceId  // where a new channel goes (empty: the user's first workspace)
    background: Rectangle { radius: 14; color: Theme.raised; border.width: 1; border.color: Theme.divider }
    header: Text {
        text: dialog.title
        padding: 20
        bottomPadding: 0
        color: Theme.text
        font.family: Theme.fontFamily
        font.pixelSize: Theme.fontSize + 3
        font.weight: Font.Bold
    }
    onOpened: nameField.forceActiveFocus()

    ColumnLayout {
        anchors.fill: parent
        spacing: 10
        Label { text: qsTr("New channel"); color: Theme.textMuted; font.family: Theme.fontFamily }
        TextField {
            id: nameField
            Layout.fillWidth: true
            placeholderText: qsTr("Name, e.g. design-review")
            font.family: Theme.fontFamily
            onAccepted: create.clicked()
        }
        CheckBox { id: isPrivate; text: qsTr("Private: members join by invitation"); font.family: Theme.fontFamily }
        Button {
            id: create
            text: qsTr("Create")
            enabled: nameField.text.trim().length > 0
            onClicked: {
                app.chat.createChannel(dialog.workspaceId, nameField.text.trim(), isPrivate.checked)
                nameField.text = ""
                dialog.close()
            }
        }
        Rectangle { Layout.fillWidth: true; height: 1; color: Theme.divider }
        Label { text: qsTr("Join a public channel by its id"); color: Theme.textMuted; font.family: Theme.fontFamily }
        RowLayout {
            Layout.fillWidth: true
            TextField { id: joinField; Layout.fillWidth: true; placeholderText: "c_…"; font.family: Theme.fontFamily }
            Button {
                text: qsTr("Join")
                enabled: joinField.text.trim().length > 0
                onClicked: {
                    app.chat.join(joinField.text.trim())
                    joinField.text = ""
                    dialog.close()
                }
            }
        }
    }
}
