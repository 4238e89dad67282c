import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Confab

// The server's address and the user's credential, remembered for the next run.
Rectangle {
    id: page
    objectName: "signInPage"
    color: Theme.surface

    Rectangle {
        anchors.centerIn: parent
        width: 400
        height: form.implicitHeight + 64
        radius: 18
        color: Theme.raised
        border.width: 1
        border.color: Theme.divider

        ColumnLayout {
            id: form
            anchors.fill: parent
            anchors.margins: 32
            spacing: 12

            Text {
                text: "Confab"
                color: Theme.accent
                font.family: Theme.fontFamily
                font.pixelSize: 30
                font.weight: Font.Bold
            }
            Text {
                text: qsTr("Sign in to your team")
                color: Theme.textMuted
                font.family: Theme.fontFamily
                font.pixelSize: Theme.fontSize
                Layout.bottomMargin: 8
            }
            Label { text: qsTr("Server"); color: Theme.text; font.family: Theme.fontFamily }
            TextField {
                id: server
                objectName: "serverField"
                Layout.fillWidth: true
                text: app.serverUrl !== "" ? app.serverUrl : "http://127.0.0.1:8701"
                font.family: Theme.fontFamily
            }
            Label { text: qsTr("Credential"); color: Theme.text; font.family: Theme.fontFamily }
            TextField {
                id: credential
                objectName: "credentialField"
                Layout.fillWidth: true
                text: app.credential
                echoMode: TextInput.Password
                placeholderText: qsTr("Your token")
                font.family: Theme.fontFamily
                onAccepted: signIn.clicked()
            }
            Text {
                visible: app.signInError !== ""
                text: app.signInError
                color: Theme.danger
                wrapMode: Text.Wrap
                Layout.fillWidth: true
                font.family: Theme.fontFamily
                font.pixelSize: Theme.smallFontSize
            }
            Button {
                id: signIn
                objectName: "signInButton"
                Layout.fillWidth: true
                Layout.topMargin: 8
                text: qsTr("Sign in")
                highlighted: true
                enabled: server.text.trim().length > 0 && credential.text.length > 0
                onClicked: app.signIn(server.text, credential.text)
            }
        }
    }
}
