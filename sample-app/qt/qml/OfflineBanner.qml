import QtQuick
import QtQuick.Layouts
import Confab

// What the connection is doing, when it is not simply connected: offline with the messages
// waiting ("Offline — 3 messages will be sent when you reconnect"), the next attempt
// ("Reconnecting in 4 s… Retry now"), or the catch-up after a connection ("Catching up…").
Rectangle {
    id: banner
    objectName: "offlineBanner"
    readonly property var chat: app.chat
    readonly property bool offline: chat !== null && !chat.connected
    readonly property bool catchingUp: chat !== null && chat.connected && chat.catchingUp
    property double retryAt: 0
    property int secondsLeft: 0
    readonly property string message: {
        if (!chat) return ""
        if (catchingUp)
            return qsTr("Catching up… %1 of %2 conversations").arg(chat.conversationsCaughtUp).arg(chat.conversationsBehind)
        if (!offline) return ""
        let text = chat.pendingCount === 1 ? qsTr("Offline — 1 message will be sent when you reconnect")
                 : chat.pendingCount > 1 ? qsTr("Offline — %1 messages will be sent when you reconnect").arg(chat.pendingCount)
                 : chat.connectionState === "failed" ? qsTr("Cannot connect: %1").arg(chat.connectionError)
                 : chat.connectionState === "connecting" ? qsTr("Connecting…")
                 : qsTr("Offline")
        return text
    }
    readonly property string retryText: offline && secondsLeft > 0 ? qsTr("Reconnecting in %1 s…").arg(secondsLeft) : ""

    visible: message !== ""
    implicitHeight: visible ? 38 : 0
    color: catchingUp ? Theme.accentSoft : Theme.banner

    function updateCountdown() {
        secondsLeft = retryAt > 0 ? Math.max(0, Math.ceil((retryAt - Date.now()) / 1000)) : 0
    }
    Connections {
        target: banner.chat
        function onConnectionChanged() {
            banner.retryAt = banner.chat.retryInSeconds >= 0 ? Date.now() + banner.chat.retryInSeconds * 1000 : 0
            banner.updateCountdown()
        }
    }
    Timer {
        interval: 250
        repeat: true
        running: banner.offline && banner.retryAt > 0
        onTriggered: banner.updateCountdown()
    }

    RowLayout {
        anchors.fill: parent
        anchors.leftMargin: 18
        anchors.rightMargin: 18
        spacing: 12
        Rectangle {
            width: 8; height: 8; radius: 4
            color: banner.catchingUp ? Theme.accent : Theme.idle
        }
        Text {
            objectName: "offlineBannerText"
            text: banner.message
            color: banner.catchingUp ? Theme.accent : Theme.bannerText
            font.family: Theme.fontFamily
            font.pixelSize: Theme.smallFontSize + 1
            font.weight: Font.DemiBold
            elide: Text.ElideRight
            Layout.fillWidth: banner.retryText === ""
        }
        Text {
            visible: banner.retryText !== ""
            text: banner.retryText
            color: Theme.bannerText
            font.family: Theme.fontFamily
            font.pixelSize: Theme.smallFontSize + 1
            Layout.fillWidth: true
        }
        LinkButton {
            visible: banner.offline && banner.chat.connectionState !== "connecting"
            text: qsTr("Retry now")
            onClicked: banner.chat.setNetworkAvailable(true)
        }
    }
}
