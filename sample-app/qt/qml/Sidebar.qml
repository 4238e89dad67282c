import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Confab

// The user, then the conversations: channels, then direct messages, each with its unread
// badge, a DM's presence dot and who is typing there. Actions: a new channel or joining
// one, a new DM.
Rectangle {
    id: sidebar
    property string currentConversation
    signal picked(string conversationId)
    signal newChannel()
    signal newDm()
    color: Theme.sidebar
    readonly property var chat: app.chat
    // The user's workspaces; the sidebar shows one at a time.
    property var workspaces: []
    property int workspaceIndex: 0
    readonly property string workspaceId: workspaces.length > 0 ? workspaces[Math.min(workspaceIndex, workspaces.length - 1)].workspaceId : ""
    function inWorkspace(id) { return workspaceId === "" || id === "" || id === workspaceId }
    function readWorkspaces() { workspaces = chat ? chat.workspaces() : [] }
    Component.onCompleted: readWorkspaces()
    Connections {
        target: sidebar.chat
        function onDirectoryChanged() { sidebar.readWorkspaces() }
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 0

        // The workspace (click to go to the next one, when there are several).
        RowLayout {
            Layout.fillWidth: true
            Layout.leftMargin: 16
            Layout.rightMargin: 10
            Layout.topMargin: 14
            visible: sidebar.workspaces.length > 0
            Text {
                objectName: "workspaceName"
                text: sidebar.workspaces.length > 0 ? sidebar.workspaces[Math.min(sidebar.workspaceIndex, sidebar.workspaces.length - 1)].name : ""
                color: Theme.sidebarTextStrong
                font.family: Theme.fontFamily
                font.pixelSize: Theme.fontSize + 3
                font.weight: Font.Bold
                elide: Text.ElideRight
                Layout.fillWidth: true
            }
            IconButton {
                visible: sidebar.workspaces.length > 1
                glyph: "\u21C4"
                glyphColor: Theme.sidebarText
                tip: qsTr("Next workspace")
                onClicked: sidebar.workspaceIndex = (sidebar.workspaceIndex + 1) % sidebar.workspaces.length
            }
        }
        Rectangle { Layout.fillWidth: true; Layout.topMargin: 12; height: 1; color: Qt.rgba(1, 1, 1, 0.08); visible: sidebar.workspaces.length > 0 }

        // Who is signed in.
        RowLayout {
            Layout.fillWidth: true
            Layout.margins: 16
            spacing: 10
            Avatar {
                userId: sidebar.chat ? sidebar.chat.userId : ""
                name: sidebar.chat ? sidebar.chat.userName : ""
                presence: sidebar.chat && sidebar.chat.connected ? "online" : "offline"
                size: 36
            }
            ColumnLayout {
                spacing: 1
                Layout.fillWidth: true
                Text {
                    text: sidebar.chat ? sidebar.chat.userName : ""
                    color: Theme.sidebarTextStrong
                    font.family: Theme.fontFamily
                    font.pixelSize: Theme.fontSize
                    font.weight: Font.DemiBold
                    elide: Text.ElideRight
                    Layout.fillWidth: true
                }
                Text {
                    text: !sidebar.chat ? ""
                        : sidebar.chat.connected ? qsTr("Online")
                        : sidebar.chat.connectionState === "connecting" ? qsTr("Connecting…") : qsTr("Offline")
                    color: Theme.sidebarText
                    font.family: Theme.fontFamily
                    font.pixelSize: Theme.smallFontSize
                }
            }
            IconButton {
                glyph: Theme.dark ? "\u2600" : "\u263E"
                glyphColor: Theme.sidebarText
                tip: Theme.dark ? qsTr("Light theme") : qsTr("Dark theme")
                onClicked: app.dark = !app.dark
            }
        }

        Flickable {
            Layout.fillWidth: true
            Layout.fillHeight: true
            contentHeight: lists.implicitHeight
            clip: true
            ScrollBar.vertical: ScrollBar { }

            ColumnLayout {
                id: lists
                width: parent.width
                spacing: 2

                SectionHeader { title: qsTr("Channels"); onAdd: sidebar.newChannel() }
                Repeater {
                    model: app.conversations
                    delegate: ConversationRow {
                        wanted: (kind === "channel" || kind === "private_channel") && sidebar.inWorkspace(workspaceId)
                    }
                }
                Item { height: 12 }
                SectionHeader { title: qsTr("Direct messages"); onAdd: sidebar.newDm() }
                Repeater {
                    model: app.conversations
                    delegate: ConversationRow {
                        wanted: (kind === "dm" || kind === "group_dm") && sidebar.inWorkspace(workspaceId)
                    }
                }
                Item { height: 12 }
            }
        }
    }

    component SectionHeader: RowLayout {
        property string title
        signal add()
        Layout.fillWidth: true
        Layout.leftMargin: 16
        Layout.rightMargin: 10
        Layout.topMargin: 6
        Text {
            text: parent.title.toUpperCase()
            color: Theme.sidebarText
            font.family: Theme.fontFamily
            font.pixelSize: Theme.smallFontSize - 1
            font.weight: Font.Bold
            font.letterSpacing: 0.8
            Layout.fillWidth: true
        }
        IconButton { glyph: "+"; glyphColor: Theme.sidebarText; tip: qsTr("New"); onClicked: parent.add() }
    }

    component ConversationRow: Rectangle {
        id: item
        required property string conversationId
        required property string name
        required property string kind
        required property var unreadCount
        required property string typing
        required property string peerPresence
        required property string lastMessageText
        required property string workspaceId
        property bool wanted: true
        readonly property bool current: sidebar.currentConversation === conversationId
        visible: wanted
        Layout.fillWidth: true
        Layout.leftMargin: 8
        Layout.rightMargin: 8
        implicitHeight: wanted ? (typing !== "" ? 50 : 36) : 0
        radius: 8
        color: current ? Theme.sidebarSelected : rowHover.hovered ? Theme.sidebarHover : "transparent"
        HoverHandler { id: rowHover }
        TapHandler { onTapped: sidebar.picked(item.conversationId) }

        RowLayout {
            anchors.fill: parent
            anchors.leftMargin: 10
            anchors.rightMargin: 10
            spacing: 10
            Item {
                Layout.preferredWidth: 16
                Layout.preferredHeight: 16
                Text {
                    anchors.centerIn: parent
                    visible: item.kind !== "dm"
                    text: item.kind === "private_channel" ? "🔒" : item.kind === "group_dm" ? "👥" : "#"
                    color: Theme.sidebarText
                    font.family: Theme.fontFamily
                    font.pixelSize: item.kind === "channel" ? 16 : 11
                }
                Rectangle {
                    anchors.centerIn: parent
                    visible: item.kind === "dm"
                    width: 10; height: 10; radius: 5
                    color: item.peerPresence === "offline" || item.peerPresence === "" ? "transparent"
                                                                                      : Theme.presenceColor(item.peerPresence)
                    border.width: 2
                    border.color: item.peerPresence === "offline" || item.peerPresence === "" ? Theme.sidebarText
                                                                                             : Theme.presenceColor(item.peerPresence)
                }
            }
            ColumnLayout {
                spacing: 0
                Layout.fillWidth: true
                Text {
                    text: item.name
                    color: item.current || item.unreadCount > 0 ? Theme.sidebarTextStrong : Theme.sidebarText
                    font.family: Theme.fontFamily
                    font.pixelSize: Theme.fontSize
                    font.weight: item.unreadCount > 0 ? Font.Bold : Font.Normal
                    elide: Text.ElideRight
                    Layout.fillWidth: true
                }
                Text {
                    visible: item.typing !== ""
                    text: item.typing
                    color: item.current ? Theme.sidebarTextStrong : Theme.sidebarText
                    font.family: Theme.fontFamily
                    font.pixelSize: Theme.smallFontSize - 1
                    font.italic: true
                    elide: Text.ElideRight
                    Layout.fillWidth: true
                }
            }
            Rectangle {
                visible: item.unreadCount > 0 && !item.current
                implicitWidth: Math.max(20, badge.implicitWidth + 12)
                implicitHeight: 20
                radius: 10
                color: Theme.danger
                Text {
                    id: badge
                    anchors.centerIn: parent
                    text: item.unreadCount > 999 ? "999+" : item.unreadCount
                    color: "white"
                    font.family: Theme.fontFamily
                    font.pixelSize: Theme.smallFontSize - 1
                    font.weight: Font.Bold
                }
            }
        }
    }
}
