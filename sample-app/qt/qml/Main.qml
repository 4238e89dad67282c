import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import Confab

ApplicationWindow {
    id: window
    objectName: "mainWindow"
    width: 1240
    height: 780
    minimumWidth: 760
    minimumHeight: 480
    visible: true
    title: app.signedIn && app.chat.userName !== "" ? "Confab — " + app.chat.userName : "Confab"
    color: Theme.background
    font.family: Theme.fontFamily
    Material.theme: app.dark ? Material.Dark : Material.Light
    Material.accent: Theme.accent
    Material.primary: Theme.accent
    Material.background: Theme.raised
    Material.foreground: Theme.text

    Binding { target: Theme; property: "dark"; value: app.dark }

    Loader {
        anchors.fill: parent
        sourceComponent: app.signedIn ? chatPage : signInPage
    }
    Component { id: signInPage; SignInPage { } }
    Component { id: chatPage; ChatPage { } }

    // A request the server refused, or a call the SDK refused, briefly.
    Connections {
        target: app.chat
        function onRequestFailed(operation, message) {
            toast.text = message
            toast.open()
        }
    }
    ToolTip {
        id: toast
        timeout: 4000
        x: (window.width - width) / 2
        y: window.height - 120
    }
}
