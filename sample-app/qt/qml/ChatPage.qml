import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Confab

// The signed-in window: the sidebar, the open conversation (its header, the connection
// banner, the timeline, who is typing, the composer) and a thread beside it.
Item {
    id: page
    objectName: "chatPage"
    property string currentConversation
    property string threadRoot
    property string threadRootSenderId
    property string threadRootSender
    property string threadRootText
    readonly property var chat: app.chat
    // The open conversation's row of the sidebar's model, by role name, kept current.
    property var info: ({})
    function refreshInfo() {
        const model = app.conversations
        info = model && currentConversation !== "" ? model.get(model.indexOf(currentConversation)) : ({})
    }
    onCurrentConversationChanged: refreshInfo()
    Connections {
        target: app.conversations
        function onDataChanged() { page.refreshInfo() }
        function onRowsMoved() { page.refreshInfo() }
        function onCountChanged() { page.refreshInfo() }
    }

    function open(conversationId) {
        if (conversationId === currentConversation) return
        currentConversation = conversationId
        const timelineModel = app.timeline(conversationId)
        if (timelineModel) timelineModel.resetUnreadLine()
        closeThread()
        composer.focusInput()
    }
    function openThread(messageId, senderId, sender, text) {
        threadRootSenderId = senderId
        threadRootSender = sender
        threadRootText = text
        threadRoot = messageId
    }
    function closeThread() { threadRoot = "" }
    function step(delta) {
        const model = app.conversations
        if (!model || model.count === 0) return
        const row = Math.max(0, Math.min(model.count - 1, model.indexOf(currentConversation) + delta))
        open(model.get(row).conversationId)
    }

    // Picks the first conversation once the list has one.
    Connections {
        target: app.conversations
        function onCountChanged() {
            if (page.currentConversation === "" && app.conversations.count > 0) page.step(0)
        }
    }
    Connections {
        target: page.chat
        function onConversationReady(conversationId) { page.open(conversationId) }
    }
    Component.onCompleted: if (app.conversations && app.conversations.count > 0) step(0)

    Shortcut { sequences: ["Alt+Down", "Ctrl+Tab"]; onActivated: page.step(1) }
    Shortcut { sequences: ["Alt+Up", "Ctrl+Shift+Tab"]; onActivated: page.step(-1) }
    Shortcut { sequence: "Ctrl+K"; onActivated: searchField.forceActiveFocus() }

    RowLayout {
        anchors.fill: parent
        spacing: 0

        Sidebar {
            id: sidebar
            Layout.preferredWidth: 268
            Layout.fillHeight: true
            currentConversation: page.currentConversation
            onPicked: (id) => page.open(id)
            onNewChannel: newChannelDialog.open()
            onNewDm: newDmDialog.open()
        }

        ColumnLayout {
            Layout.fillWidth: true
            Layout.fillHeight: true
            spacing: 0

            // The conversation's header.
            Rectangle {
                Layout.fillWidth: true
                Layout.preferredHeight: 60
                color: Theme.background
                RowLayout {
                    anchors.fill: parent
                    anchors.leftMargin: 20
                    anchors.rightMargin: 14
                    spacing: 12
                    ColumnLayout {
                        spacing: 1
                        Layout.fillWidth: true
                        Text {
                            objectName: "conversationTitle"
                            readonly property string kind: page.info.kind || ""
                            text: (kind === "channel" ? "# " : kind === "private_channel" ? "🔒 " : "") + (page.info.name || "")
                            color: Theme.text
                            font.family: Theme.fontFamily
                            font.pixelSize: Theme.fontSize + 3
                            font.weight: Font.Bold
                            elide: Text.ElideRight
                            Layout.fillWidth: true
                        }
                        Text {
                            readonly property string topic: page.info.topic || ""
                            readonly property string presence: page.info.peerPresence || ""
                            readonly property var members: page.info.memberCount || 0
                            text: presence !== "" ? (presence === "online" ? qsTr("Online") : presence === "idle" ? qsTr("Away") : qsTr("Offline"))
                                : (members === 1 ? qsTr("1 member") : qsTr("%1 members").arg(members)) + (topic !== "" ? "  ·  " + topic : "")
                            color: Theme.textMuted
                            font.family: Theme.fontFamily
                            font.pixelSize: Theme.smallFontSize
                            elide: Text.ElideRight
                            Layout.fillWidth: true
                        }
                    }
                    TextField {
                        id: searchField
                        objectName: "searchField"
                        Layout.preferredWidth: 260
                        placeholderText: qsTr("Search messages (Ctrl+K)")
                        placeholderTextColor: Theme.textMuted
                        color: Theme.text
                        font.family: Theme.fontFamily
                        font.pixelSize: Theme.smallFontSize + 1
                        leftPadding: 14
                        background: Rectangle {
                            radius: 16
                            implicitHeight: 34
                            color: Theme.surface
                            border.width: searchField.activeFocus ? 2 : 1
                            border.color: searchField.activeFocus ? Theme.accent : Theme.divider
                        }
                        onTextChanged: {
                            if (!app.search) return
                            app.search.query = text
                            if (text.trim().length > 0) searchPanel.open()
                            else searchPanel.close()
                        }
                        Keys.onEscapePressed: { text = ""; composer.focusInput() }
                        SearchPanel {
                            id: searchPanel
                            y: searchField.height + 6
                            x: searchField.width - width
                            width: 420
                            onResultPicked: (conversationId, messageId, threadRootId) => {
                                page.open(conversationId)
                                searchField.text = ""
                                if (threadRootId !== "") {
                                    const root = app.timeline(conversationId)
                                    const row = root ? root.rowOf(threadRootId) : -1
                                    const m = row >= 0 ? root.get(row) : null
                                    page.openThread(threadRootId, m ? m.senderId : "", m ? m.senderName : "", m ? m.text : "")
                                } else {
                                    Qt.callLater(() => timeline.jumpTo(messageId))
                                }
                            }
                        }
                    }
                }
                Rectangle { anchors.bottom: parent.bottom; width: parent.width; height: 1; color: Theme.divider }
            }

            OfflineBanner { Layout.fillWidth: true }

            Timeline {
                id: timeline
                objectName: "timeline"
                Layout.fillWidth: true
                Layout.fillHeight: true
                conversationId: page.currentConversation
                model: {
                    const m = app.timeline(page.currentConversation)
                    if (m) m.olderOnDemand = true
                    return m
                }
                onOpenThread: (id, senderId, sender, text) => page.openThread(id, senderId, sender, text)
                onReplyRequested: (id, sender, text) => composer.quote(id, sender, text)
                onEditRequested: (id, local, text) => composer.startEdit(id, local, text)
            }

            // Who is typing.
            Text {
                objectName: "typingLine"
                readonly property var typingModel: app.typing(page.currentConversation)
                Layout.fillWidth: true
                Layout.leftMargin: 22
                Layout.preferredHeight: 18
                text: typingModel ? typingModel.line : ""
                color: Theme.textMuted
                font.family: Theme.fontFamily
                font.pixelSize: Theme.smallFontSize
                font.italic: true
            }

            Composer {
                id: composer
                Layout.fillWidth: true
                conversationId: page.currentConversation
                timelineModel: timeline.model
                placeholder: qsTr("Message %1").arg(page.info.name || "")
            }
        }

        ThreadPanel {
            visible: page.threadRoot !== ""
            Layout.preferredWidth: 380
            Layout.fillHeight: true
            conversationId: page.currentConversation
            rootId: page.threadRoot
            rootSenderId: page.threadRootSenderId
            rootSender: page.threadRootSender
            rootText: page.threadRootText
            onClosed: page.closeThread()
        }
    }

    // The user reads what the timeline shows while it is at the newest.
    Timer {
        interval: 400
        repeat: true
        running: Qt.application.state === Qt.ApplicationActive || Qt.platform.pluginName === "offscreen"
        onTriggered: {
            const m = timeline.model
            if (m && timeline.atNewest && m.newestSeq > 0 && page.info.unreadCount > 0)
                page.chat.markRead(page.currentConversation, m.newestSeq)
        }
    }

    NewChannelDialog { id: newChannelDialog; anchors.centerIn: parent; workspaceId: sidebar.workspaceId }
    NewDmDialog { id: newDmDialog; anchors.centerIn: parent }
}
